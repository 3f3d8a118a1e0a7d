/*
 * chart.h - line charts as SVG, drawn by PLplot's SVG device (the
 * national report's KPI charts; docs/FORMATS.md "The national report").
 *
 * A chart is a set of series over labelled x positions (quarters), each
 * drawn with its own colour, dash pattern and marker so that it survives
 * greyscale printing; an optional goal is drawn as a thick dashed line
 * (a constant, or one value per x position). A missing value (suppressed,
 * or nothing to divide by) leaves a gap in its line. Title and axis labels
 * are part of the SVG; the caller writes the data table next to it.
 *
 * Values are doubles only for drawing: the figures a reader gets are the
 * exact texts the caller prints in its table.
 *
 * Ownership: the SVG is appended to the caller's buffer. Errors: 0,
 * IAPT_EUSAGE (no x positions, too many series), IAPT_ENOMEM, IAPT_EIO
 * (PLplot could not open its SVG device).
 * Threads: PLplot keeps global state: draw one chart at a time per process
 * (the callers are single-threaded command-line tools).
 */
#ifndef IAPT_CHART_H
#define IAPT_CHART_H

#include "common/util.h"

#include <stdbool.h>
#include <stddef.h>

/* Most series one chart draws (the styles that stay distinct). */
#define IAPT_CHART_SERIES_MAX 12

typedef struct iapt_chart_series {
    const char *label;   /* legend text */
    const double *y;     /* n_x values */
    const bool *present; /* n_x flags: false leaves a gap */
} iapt_chart_series_t;

typedef struct iapt_chart {
    const char *title;
    const char *x_label, *y_label;
    size_t n_x;
    const char *const *x_labels; /* n_x labels, e.g. "Q2 2025/26" */
    size_t n_series;
    const iapt_chart_series_t *series;
    bool has_goal;
    const char *goal_label; /* legend text of the goal line */
    const double *goal_y;   /* n_x values, or NULL for the constant goal */
    double goal;
    bool percent; /* y runs 0-100 */
} iapt_chart_t;

/* Draw the chart as one standalone SVG document appended to out. */
int iapt_chart_svg(const iapt_chart_t *chart, iapt_buf_t *out);

#endif
