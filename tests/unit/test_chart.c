/* Unit tests of common/chart.c: the SVG PLplot draws carries the title, the
 * axis labels, every legend entry and every x label, and leaves gaps. */
#include "common/chart.h"
#include "common/err.h"
#include "tests/test.h"

static char *
s_text(iapt_buf_t *b)
{
    iapt_buf_append(b, "", 1);
    return (char *)b->data;
}

/* The text an SVG shows: tags dropped, character references decoded
 * (PLplot writes every character as one), in place. */
static char *
s_plain(char *svg)
{
    char *w = svg;
    for (char *r = svg; *r;) {
        if (*r == '<') {
            while (*r && *r != '>')
                r++;
            if (*r)
                r++;
        } else if (r[0] == '&' && r[1] == '#' && r[2] == 'x') {
            unsigned long v = strtoul(r + 3, &r, 16);
            if (*r == ';')
                r++;
            *w++ = v < 128 ? (char)v : '?';
        } else
            *w++ = *r++;
    }
    *w = 0;
    return svg;
}

static void
test_chart_svg(void)
{
    const char *xl[] = {"Q1 2025/26", "Q2 2025/26", "Q3 2025/26"};
    double a[] = {10, 20, 30}, bb[] = {5, 0, 7};
    bool pa[] = {true, true, true}, pb[] = {true, false, true};
    iapt_chart_series_t s[] = {{"England", a, pa}, {"North East", bb, pb}};
    iapt_chart_t c = {.title = "Recovery rate",
                      .x_label = "Quarter",
                      .y_label = "Percent",
                      .n_x = 3,
                      .x_labels = xl,
                      .n_series = 2,
                      .series = s,
                      .has_goal = true,
                      .goal_label = "Goal 50%",
                      .goal = 50,
                      .percent = true};
    iapt_buf_t b = IAPT_BUF_INIT;
    CHECK_EQ_INT(iapt_chart_svg(&c, &b), 0);
    char *svg = s_text(&b);
    CHECK(strstr(svg, "<svg") != NULL);
    CHECK(strstr(svg, "</svg>") != NULL);
    CHECK(strstr(svg, "http://www.w3.org/2000/svg") != NULL);
    /* nothing fetched from elsewhere: no href but the namespace */
    CHECK(strstr(svg, "href=\"http") == NULL);
    s_plain(svg);
    static const char *const want[] = {"Recovery rate", "Percent",  "Quarter",    "England",
                                       "North East",    "Goal 50%", "Q1 2025/26", "Q3 2025/26"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(svg, want[i])) {
            fprintf(stderr, "missing %s\n", want[i]);
            CHECK(0);
        }
    iapt_buf_free(&b);
    /* a second chart in the same process works too */
    CHECK_EQ_INT(iapt_chart_svg(&c, &b), 0);
    CHECK(b.len > 1000);
    FILE *f = getenv("CHART_OUT") ? fopen(getenv("CHART_OUT"), "w") : NULL;
    if (f) {
        fwrite(b.data, 1, b.len, f);
        fclose(f);
    }
    iapt_buf_free(&b);
}

static void
test_chart_refuses(void)
{
    iapt_chart_t c = {.title = "x", .n_x = 0};
    iapt_buf_t b = IAPT_BUF_INIT;
    CHECK_EQ_INT(iapt_chart_svg(&c, &b), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_chart_svg(NULL, &b), IAPT_EUSAGE);
    CHECK_EQ_INT((int)b.len, 0);
}

TEST_MAIN(test_chart_svg, test_chart_refuses)
