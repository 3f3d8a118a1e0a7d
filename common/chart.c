/* chart.c - line charts through PLplot's SVG device (common/chart.h). */
#include "common/chart.h"
#include "common/err.h"

#include <plplot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Palette entries 1.. (0 is the white background, 1 the axes): dark to
 * light, so that neighbouring series differ in greyscale too. */
static const int s_rgb[][3] = {
    {0, 0, 0},      {0, 0, 0},     {0, 90, 181},    {220, 50, 32}, {0, 128, 64},
    {120, 60, 160}, {230, 140, 0}, {90, 90, 90},    {0, 160, 200}, {170, 0, 100},
    {128, 128, 0},  {60, 30, 0},   {150, 150, 150}, {0, 60, 60},   {200, 100, 150},
};
#define S_COLOURS ((int)(sizeof s_rgb / sizeof *s_rgb))
/* Markers (UTF-8 glyphs): filled and open shapes alternate. */
static const char *const s_marks[IAPT_CHART_SERIES_MAX] = {
    "●", "○", "■", "□", "▲", "△", "◆", "◇", "▼", "▽", "★", "☆",
};
#define S_GOAL_COLOUR 1

static void
s_bounds(const iapt_chart_t *c, double *lo, double *hi)
{
    *lo = 0;
    *hi = c->percent ? 100 : 0;
    for (size_t s = 0; s < c->n_series; s++)
        for (size_t i = 0; i < c->n_x; i++)
            if (c->series[s].present[i] && c->series[s].y[i] > *hi)
                *hi = c->series[s].y[i];
    if (c->has_goal)
        for (size_t i = 0; i < c->n_x; i++) {
            double g = c->goal_y ? c->goal_y[i] : c->goal;
            if (g > *hi)
                *hi = g;
        }
    if (*hi <= 0)
        *hi = 1;
    if (!c->percent)
        *hi *= 1.1;
}

/* Draw one series' line (segments between present values) and markers. */
static void
s_series(const iapt_chart_t *c, size_t s, PLFLT *x, PLFLT *y)
{
    const iapt_chart_series_t *se = &c->series[s];
    plcol0((PLINT)(2 + s % (S_COLOURS - 2)));
    pllsty((PLINT)(s % 8 + 1));
    plwidth(2.0);
    size_t run = 0;
    for (size_t i = 0; i <= c->n_x; i++) {
        if (i < c->n_x && se->present[i]) {
            x[run] = (PLFLT)i;
            y[run] = (PLFLT)se->y[i];
            run++;
            continue;
        }
        if (run >= 2)
            plline((PLINT)run, x, y);
        if (run >= 1) {
            pllsty(1);
            plstring((PLINT)run, x, y, s_marks[s % IAPT_CHART_SERIES_MAX]);
            pllsty((PLINT)(s % 8 + 1));
        }
        run = 0;
    }
}

int
iapt_chart_svg(const iapt_chart_t *c, iapt_buf_t *out)
{
    if (!c || c->n_x == 0 || c->n_series > IAPT_CHART_SERIES_MAX)
        return iapt_error_set(IAPT_EUSAGE, "chart: no x positions or more than %d series",
                              IAPT_CHART_SERIES_MAX);
    char *mem = NULL;
    size_t mem_len = 0;
    FILE *f = open_memstream(&mem, &mem_len);
    PLFLT *x = calloc(c->n_x + 1, sizeof *x), *y = calloc(c->n_x + 1, sizeof *y);
    if (!f || !x || !y) {
        if (f)
            fclose(f);
        free(mem);
        free(x);
        free(y);
        return IAPT_ENOMEM;
    }
    plsdev("svg");
    plsfile(f);
    plspage(0, 0, 960, 480, 0, 0);
    plscmap0n(S_COLOURS);
    for (int i = 0; i < S_COLOURS; i++)
        plscol0(i, s_rgb[i][0], s_rgb[i][1], s_rgb[i][2]);
    plscol0(0, 255, 255, 255);
    plinit();
    pladv(0);
    plschr(0, 0.8);
    plvpor(0.09, 0.62, 0.16, 0.90);
    double lo, hi;
    s_bounds(c, &lo, &hi);
    plwind(-0.3, (PLFLT)(c->n_x - 1) + 0.3, (PLFLT)lo, (PLFLT)hi);
    plcol0(1);
    plwidth(1.0);
    pllsty(1);
    plbox("bc", 0, 0, "bcgnstv", 0, 0);
    for (size_t i = 0; i < c->n_x; i++) {
        PLFLT pos = ((PLFLT)i + 0.3) / ((PLFLT)(c->n_x - 1) + 0.6);
        /* Past six positions the labels alternate between two lines so
         * that neighbours do not run into each other. */
        plmtex("b", c->n_x > 6 && i % 2 ? 2.1 : 1.2, pos, 0.5, c->x_labels[i]);
    }
    pllab("", c->y_label ? c->y_label : "", c->title ? c->title : "");
    plmtex("b", c->n_x > 6 ? 3.4 : 3.0, 0.5, 0.5, c->x_label ? c->x_label : "");
    for (size_t s = 0; s < c->n_series; s++)
        s_series(c, s, x, y);
    if (c->has_goal) {
        plcol0(S_GOAL_COLOUR);
        pllsty(2);
        plwidth(4.0);
        for (size_t i = 0; i < c->n_x; i++) {
            x[i] = (PLFLT)i;
            y[i] = (PLFLT)(c->goal_y ? c->goal_y[i] : c->goal);
        }
        if (c->n_x == 1) {
            x[0] = -0.3;
            x[1] = 0.3;
            y[1] = y[0];
        }
        plline(c->n_x == 1 ? 2 : (PLINT)c->n_x, x, y);
    }
    /* The legend: one entry per series and the goal. */
    PLINT n = (PLINT)c->n_series + (c->has_goal ? 1 : 0);
    PLINT opt[IAPT_CHART_SERIES_MAX + 1], tcol[IAPT_CHART_SERIES_MAX + 1],
        lcol[IAPT_CHART_SERIES_MAX + 1], lsty[IAPT_CHART_SERIES_MAX + 1],
        scol[IAPT_CHART_SERIES_MAX + 1], snum[IAPT_CHART_SERIES_MAX + 1];
    PLFLT lwid[IAPT_CHART_SERIES_MAX + 1], sscale[IAPT_CHART_SERIES_MAX + 1];
    const char *text[IAPT_CHART_SERIES_MAX + 1], *sym[IAPT_CHART_SERIES_MAX + 1];
    for (PLINT i = 0; i < n; i++) {
        int goal = (size_t)i == c->n_series;
        opt[i] = PL_LEGEND_LINE | (goal ? 0 : PL_LEGEND_SYMBOL);
        tcol[i] = 1;
        lcol[i] = goal ? S_GOAL_COLOUR : (PLINT)(2 + (size_t)i % (S_COLOURS - 2));
        lsty[i] = goal ? 2 : (PLINT)(i % 8 + 1);
        lwid[i] = goal ? 4.0 : 2.0;
        scol[i] = lcol[i];
        sscale[i] = 1.0;
        snum[i] = 1;
        sym[i] = goal ? "" : s_marks[i % IAPT_CHART_SERIES_MAX];
        text[i] = goal ? (c->goal_label ? c->goal_label : "goal") : c->series[i].label;
    }
    PLFLT lw, lh;
    pllegend(&lw, &lh, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
             PL_POSITION_RIGHT | PL_POSITION_OUTSIDE, 0.02, 0.0, 0.06, 0, 1, 1, 0, 0, n, opt, 0.8,
             0.8, 2.0, 0.0, tcol, text, NULL, NULL, NULL, NULL, lcol, lsty, lwid, scol, sscale,
             snum, sym);
    plend(); /* closes f, which sets mem and mem_len */
    free(x);
    free(y);
    int rc = mem_len ? iapt_buf_append(out, mem, mem_len)
                     : iapt_error_set(IAPT_EIO, "chart: PLplot wrote no SVG");
    free(mem);
    return rc;
}
