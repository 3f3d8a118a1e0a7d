/* test_cyp_tools.c - the CYP tool table: exact hundredths, every refusal
 * of docs/CYP.md naming its line, the hash, lookup and comparisons. */

#include "common/collections/cyp/cyp_tools.h"
#include "common/err.h"
#include "tests/test.h"

#define HEADER "code,name,kind,min,max,better,caseness,reliable_change\n"

static int
t_parse(const char *text, iapt_cyp_tools_t *t)
{
    return iapt_cyp_tools_parse(text, strlen(text), "t.csv", t);
}

/* Refused with IAPT_EFORMAT and the detail starting "t.csv:LINE:". */
static void
t_refused_at(const char *text, int line, const char *words)
{
    iapt_cyp_tools_t t;
    char prefix[32];
    int rc = t_parse(text, &t);
    CHECK_EQ_INT(rc, IAPT_EFORMAT);
    snprintf(prefix, sizeof prefix, "t.csv:%d:", line);
    if (strncmp(iapt_error_detail(), prefix, strlen(prefix)) != 0 ||
        !strstr(iapt_error_detail(), words)) {
        fprintf(stderr, "    detail \"%s\" wants \"%s\" and \"%s\"\n", iapt_error_detail(), prefix,
                words);
        CHECK(0);
    }
}

static void
test_parse_exact_hundredths(void)
{
    iapt_cyp_tools_t t;
    const char *text = "\xEF\xBB\xBF" HEADER "# a comment line\r\n"
                       "LOW,\"Lower, better\",symptom,0,141,lower,50.5,14\r\n"
                       "\r\n"
                       " HIGH , Higher ,symptom,-3.5,40.25,higher,28.1,5.05\r\n"
                       "G,Goal,goal,0,10,higher,,2.45\r\n";
    CHECK_EQ_INT(t_parse(text, &t), 0);
    CHECK_EQ_INT(t.n, 3);
    CHECK_EQ_INT(t.goal, 2);
    CHECK_EQ_STR(t.tool[0].code, "LOW");
    CHECK_EQ_STR(t.tool[0].name, "Lower, better");
    CHECK_EQ_INT(t.tool[0].kind, IAPT_CYP_TOOL_SYMPTOM);
    CHECK_EQ_INT(t.tool[0].better, IAPT_CYP_BETTER_LOWER);
    CHECK_EQ_INT(t.tool[0].min_x100, 0);
    CHECK_EQ_INT(t.tool[0].max_x100, 14100);
    CHECK_EQ_INT(t.tool[0].caseness_x100, 5050);
    CHECK_EQ_INT(t.tool[0].reliable_x100, 1400);
    CHECK(t.tool[0].has_caseness);
    CHECK_EQ_STR(t.tool[1].code, "HIGH"); /* trimmed */
    CHECK_EQ_STR(t.tool[1].name, "Higher");
    CHECK_EQ_INT(t.tool[1].better, IAPT_CYP_BETTER_HIGHER);
    CHECK_EQ_INT(t.tool[1].min_x100, -350);
    CHECK_EQ_INT(t.tool[1].max_x100, 4025);
    CHECK_EQ_INT(t.tool[1].caseness_x100, 2810);
    CHECK_EQ_INT(t.tool[1].reliable_x100, 505);
    CHECK_EQ_INT(t.tool[2].kind, IAPT_CYP_TOOL_GOAL);
    CHECK(!t.tool[2].has_caseness);
    CHECK_EQ_INT(t.tool[2].reliable_x100, 245);
    CHECK_EQ_INT(iapt_cyp_tools_find(&t, "HIGH"), 1);
    CHECK_EQ_INT(iapt_cyp_tools_find(&t, "G"), 2);
    CHECK_EQ_INT(iapt_cyp_tools_find(&t, "high"), -1); /* codes are exact */
    CHECK_EQ_INT(iapt_cyp_tools_find(&t, "NOPE"), -1);
    CHECK_EQ_INT(iapt_cyp_tools_find(&t, NULL), -1);
}

static void
test_no_goal_row_is_accepted(void)
{
    iapt_cyp_tools_t t;
    CHECK_EQ_INT(t_parse(HEADER "A,A,symptom,0,10,lower,5,2\n", &t), 0);
    CHECK_EQ_INT(t.n, 1);
    CHECK_EQ_INT(t.goal, -1);
}

/* The hash is of the bytes: worked out with coreutils' sha256sum. */
static void
test_sha256_of_the_bytes(void)
{
    iapt_cyp_tools_t t;
    CHECK_EQ_INT(t_parse(HEADER "AA,A,symptom,0,10,lower,5,2\n", &t), 0);
    CHECK_EQ_STR(t.sha256_hex, "49661a20e900c32ee930c972d019ee64d288ac79911a7f37175581191f28ae52");
    /* One byte more (a CRLF), another hash, the same table. */
    iapt_cyp_tools_t u;
    CHECK_EQ_INT(t_parse(HEADER "AA,A,symptom,0,10,lower,5,2\r\n", &u), 0);
    CHECK(strcmp(t.sha256_hex, u.sha256_hex) != 0);
    CHECK_EQ_INT(u.tool[0].caseness_x100, t.tool[0].caseness_x100);
}

static void
test_refuse_second_goal_row(void)
{
    t_refused_at(HEADER "A,A,symptom,0,10,lower,5,2\n"
                        "G1,Goal one,goal,0,10,higher,,2.45\n"
                        "G2,Goal two,goal,0,10,higher,,2\n",
                 4, "second goal tool");
}

static void
test_refuse_goal_better_lower(void)
{
    t_refused_at(HEADER "G,Goal,goal,0,10,lower,,2.45\n", 2, "better=higher");
}

static void
test_refuse_goal_with_caseness(void)
{
    t_refused_at(HEADER "A,A,symptom,0,10,lower,5,2\nG,Goal,goal,0,10,higher,5,2.45\n", 3,
                 "no caseness");
}

static void
test_refuse_symptom_without_caseness(void)
{
    t_refused_at(HEADER "A,A,symptom,0,10,lower,,2\n", 2, "needs a caseness");
    t_refused_at(HEADER "A,A,symptom,0,10,lower,  ,2\n", 2, "needs a caseness");
}

static void
test_refuse_min_over_max(void)
{
    t_refused_at(HEADER "A,A,symptom,10.01,10,lower,5,2\n", 2, "min is greater than max");
    iapt_cyp_tools_t t; /* min == max is a (narrow) range */
    CHECK_EQ_INT(t_parse(HEADER "A,A,symptom,10,10,lower,5,2\n", &t), 0);
}

static void
test_refuse_repeated_code(void)
{
    t_refused_at(HEADER "A,A,symptom,0,10,lower,5,2\nB,B,symptom,0,10,lower,5,2\n"
                        "A,A again,symptom,0,20,higher,5,2\n",
                 4, "listed twice");
}

static void
test_refuse_bad_numbers(void)
{
    t_refused_at(HEADER "A,A,symptom,0,10,lower,5.125,2\n", 2, "caseness: not a number");
    t_refused_at(HEADER "A,A,symptom,0,10,lower,5.,2\n", 2, "caseness: not a number");
    t_refused_at(HEADER "A,A,symptom,0,ten,lower,5,2\n", 2, "max: not a number");
    t_refused_at(HEADER "A,A,symptom,,10,lower,5,2\n", 2, "min: not a number");
    t_refused_at(HEADER "A,A,symptom,+1,10,lower,5,2\n", 2, "min: not a number");
    t_refused_at(HEADER "A,A,symptom,0,10,lower,5,1e2\n", 2, "reliable_change: not a number");
    t_refused_at(HEADER "A,A,symptom,0,10,lower,5,\n", 2, "reliable_change: not a number");
    t_refused_at(HEADER "A,A,symptom,0,10,lower,5,0\n", 2, "greater than 0");
    t_refused_at(HEADER "A,A,symptom,0,10,lower,5,-1\n", 2, "greater than 0");
    t_refused_at(HEADER "A,A,symptom,0,99999999999,lower,5,1\n", 2, "max: not a number");
}

static void
test_refuse_bad_words(void)
{
    t_refused_at(HEADER "A,A,questionnaire,0,10,lower,5,2\n", 2, "kind");
    t_refused_at(HEADER "A,A,symptom,0,10,Lower,5,2\n", 2, "better");
    t_refused_at(HEADER "A,,symptom,0,10,lower,5,2\n", 2, "name");
    t_refused_at(HEADER ",A,symptom,0,10,lower,5,2\n", 2, "code");
    t_refused_at(HEADER "A B,A,symptom,0,10,lower,5,2\n", 2, "code");
    t_refused_at(HEADER "ABCDEFGHIJKLMNOPQ,A,symptom,0,10,lower,5,2\n", 2, "code");
    t_refused_at(HEADER "A,A,symptom,0,10,lower,5\n", 2, "7 fields, the header has 8");
    t_refused_at(HEADER "A,A,symptom,0,10,lower,5,2,extra\n", 2, "9 fields, the header has 8");
    t_refused_at("code,name,kind,min,max,better,reliable_change\n", 1, "column caseness missing");
    t_refused_at("tool,snomed_code,min,max,caseness,reliable_change,role,descriptors\n", 1,
                 "column code missing");
}

static void
test_refuse_empty(void)
{
    iapt_cyp_tools_t t;
    CHECK_EQ_INT(t_parse("", &t), IAPT_EFORMAT);
    CHECK_EQ_INT(t_parse(HEADER, &t), IAPT_EFORMAT);
    CHECK(strstr(iapt_error_detail(), "no tools") != NULL);
    CHECK_EQ_INT(t_parse(HEADER "# only a comment\n", &t), IAPT_EFORMAT);
}

static void
test_refuse_too_many(void)
{
    static char text[8192];
    size_t used = (size_t)snprintf(text, sizeof text, "%s", HEADER);
    for (int i = 0; i <= IAPT_CYP_TOOLS_MAX; i++)
        used +=
            (size_t)snprintf(text + used, sizeof text - used, "T%d,T,symptom,0,10,lower,5,2\n", i);
    iapt_cyp_tools_t t;
    CHECK_EQ_INT(t_parse(text, &t), IAPT_ELIMIT);
    char want[32];
    snprintf(want, sizeof want, "t.csv:%d:", IAPT_CYP_TOOLS_MAX + 2);
    CHECK(strncmp(iapt_error_detail(), want, strlen(want)) == 0);
}

static void
test_caseness_and_gain(void)
{
    iapt_cyp_tools_t t;
    CHECK_EQ_INT(t_parse(HEADER "L,L,symptom,0,100,lower,20,5\nH,H,symptom,0,40,higher,28,5\n"
                                "G,G,goal,0,10,higher,,2.45\n",
                         &t),
                 0);
    const iapt_cyp_tool_t *lo = &t.tool[0], *hi = &t.tool[1], *g = &t.tool[2];
    /* better=lower: at caseness when >= caseness. */
    CHECK(iapt_cyp_tool_at_caseness(lo, 2000));
    CHECK(iapt_cyp_tool_at_caseness(lo, 2001));
    CHECK(!iapt_cyp_tool_at_caseness(lo, 1999));
    /* better=higher: at caseness when <= caseness. */
    CHECK(iapt_cyp_tool_at_caseness(hi, 2800));
    CHECK(iapt_cyp_tool_at_caseness(hi, 2799));
    CHECK(!iapt_cyp_tool_at_caseness(hi, 2801));
    /* A goal tool is never at caseness. */
    CHECK(!iapt_cyp_tool_at_caseness(g, 0));
    CHECK_EQ_INT(iapt_cyp_tool_gain(lo, 3000, 2500), 500);
    CHECK_EQ_INT(iapt_cyp_tool_gain(lo, 2500, 3000), -500);
    CHECK_EQ_INT(iapt_cyp_tool_gain(hi, 2000, 2500), 500);
    CHECK_EQ_INT(iapt_cyp_tool_gain(g, 110, 355), 245);
    CHECK(iapt_cyp_tool_in_range(lo, 0));
    CHECK(iapt_cyp_tool_in_range(lo, 10000));
    CHECK(!iapt_cyp_tool_in_range(lo, 10001));
    CHECK(!iapt_cyp_tool_in_range(lo, -1));
}

static void
test_load_file(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/data/cyp-assessment-tools.csv",
             getenv("IAPT_ROOT") ? getenv("IAPT_ROOT") : ".");
    iapt_cyp_tools_t t;
    CHECK_EQ_INT(iapt_cyp_tools_load(path, &t), 0);
    CHECK(t.n >= 1);
    CHECK(t.goal >= 0);
    CHECK_EQ_INT((int)strlen(t.sha256_hex), 64);
    /* A table written to a file loads like its text, hash included. */
    const char *dir = t_tmpdir();
    char p2[600];
    snprintf(p2, sizeof p2, "%s/tools.csv", dir);
    FILE *f = fopen(p2, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs(HEADER "AA,A,symptom,0,10,lower,5,2\n", f);
    fclose(f);
    CHECK_EQ_INT(iapt_cyp_tools_load(p2, &t), 0);
    CHECK_EQ_STR(t.sha256_hex, "49661a20e900c32ee930c972d019ee64d288ac79911a7f37175581191f28ae52");
    /* A bad file names itself and the line. */
    f = fopen(p2, "w");
    fputs(HEADER "AA,A,symptom,0,10,lower,5,2\nAA,A,symptom,0,10,lower,5,2\n", f);
    fclose(f);
    CHECK_EQ_INT(iapt_cyp_tools_load(p2, &t), IAPT_EFORMAT);
    char want[700];
    snprintf(want, sizeof want, "%s:3:", p2);
    CHECK(strncmp(iapt_error_detail(), want, strlen(want)) == 0);
    snprintf(p2, sizeof p2, "%s/missing.csv", dir);
    CHECK(iapt_cyp_tools_load(p2, &t) < 0);
}

/* Columns are found by name: another order and extra columns read the same. */
static void
test_columns_by_name(void)
{
    iapt_cyp_tools_t t;
    CHECK_EQ_INT(t_parse("reliable_change,note,caseness,better,max,min,kind,name,code\n"
                         "2.45,goals,,higher,10,0,goal,Goal,G\n"
                         ",,,,,,,,\n"
                         "5,x,20,lower,100,0,symptom,Low,L\n",
                         &t),
                 0);
    CHECK_EQ_INT(t.n, 2);
    CHECK_EQ_INT(t.goal, 0);
    CHECK_EQ_STR(t.tool[0].code, "G");
    CHECK_EQ_INT(t.tool[0].reliable_x100, 245);
    CHECK_EQ_STR(t.tool[1].name, "Low");
    CHECK_EQ_INT(t.tool[1].caseness_x100, 2000);
    CHECK_EQ_INT(t.tool[1].max_x100, 10000);
    CHECK_EQ_INT(t.tool[1].better, IAPT_CYP_BETTER_LOWER);
}

static void
test_check_score_rows(void)
{
    iapt_cyp_tools_t t;
    CHECK_EQ_INT(t_parse(HEADER "L,L,symptom,0,100,lower,20,5\nG,G,goal,0,10,higher,,2.45\n", &t),
                 0);
    iapt_cyp_score_row_t r;
    CHECK_EQ_INT(iapt_cyp_tools_check_score(&t, "L", "12.5", "", &r), IAPT_CYP_SCORE_OK);
    CHECK(r.tool == 0 && r.value_x100 == 1250 && r.goal_number == 0);
    CHECK_EQ_INT(iapt_cyp_tools_check_score(&t, " L ", " 100 ", NULL, &r), IAPT_CYP_SCORE_OK);
    CHECK_EQ_INT(r.value_x100, 10000);
    CHECK_EQ_INT(iapt_cyp_tools_check_score(&t, "L", "0", " ", &r), IAPT_CYP_SCORE_OK);
    /* Range ends are in; one hundredth past them is out. */
    CHECK_EQ_INT(iapt_cyp_tools_check_score(&t, "L", "100.01", "", &r),
                 IAPT_CYP_SCORE_OUT_OF_RANGE);
    CHECK_EQ_INT(iapt_cyp_tools_check_score(&t, "L", "-0.01", "", &r), IAPT_CYP_SCORE_OUT_OF_RANGE);
    CHECK_EQ_INT(iapt_cyp_tools_check_score(&t, "L", "123456789012", "", &r),
                 IAPT_CYP_SCORE_OUT_OF_RANGE);
    /* PersScore syntax. */
    CHECK_EQ_INT(iapt_cyp_tools_check_score(&t, "L", "12.345", "", &r), IAPT_CYP_SCORE_BAD_VALUE);
    CHECK_EQ_INT(iapt_cyp_tools_check_score(&t, "L", "", "", &r), IAPT_CYP_SCORE_BAD_VALUE);
    CHECK_EQ_INT(iapt_cyp_tools_check_score(&t, "L", "1,5", "", &r), IAPT_CYP_SCORE_BAD_VALUE);
    CHECK_EQ_INT(iapt_cyp_tools_check_score(&t, "NOPE", "abc", "", &r), IAPT_CYP_SCORE_BAD_VALUE);
    /* Tools. */
    CHECK_EQ_INT(iapt_cyp_tools_check_score(&t, "NOPE", "1", "", &r), IAPT_CYP_SCORE_UNKNOWN_TOOL);
    CHECK_EQ_INT(r.tool, -1);
    CHECK_EQ_INT(iapt_cyp_tools_check_score(&t, "", "1", "", &r), IAPT_CYP_SCORE_UNKNOWN_TOOL);
    CHECK_EQ_INT(iapt_cyp_tools_check_score(&t, NULL, "1", "", &r), IAPT_CYP_SCORE_UNKNOWN_TOOL);
    CHECK_EQ_INT(iapt_cyp_tools_check_score(&t, "LLLLLLLLLLLLLLLLLLLLLLLLL", "1", "", &r),
                 IAPT_CYP_SCORE_UNKNOWN_TOOL);
    /* Goal numbers: exactly 1, 2 or 3 on goal rows, none on symptom rows. */
    CHECK_EQ_INT(iapt_cyp_tools_check_score(&t, "G", "3.55", "3", &r), IAPT_CYP_SCORE_OK);
    CHECK(r.tool == 1 && r.value_x100 == 355 && r.goal_number == 3);
    CHECK_EQ_INT(iapt_cyp_tools_check_score(&t, "G", "3.55", " 1 ", &r), IAPT_CYP_SCORE_OK);
    CHECK_EQ_INT(r.goal_number, 1);
    CHECK_EQ_INT(iapt_cyp_tools_check_score(&t, "G", "3", "", &r), IAPT_CYP_SCORE_GOAL_MISSING);
    CHECK_EQ_INT(iapt_cyp_tools_check_score(&t, "G", "3", "4", &r), IAPT_CYP_SCORE_GOAL_MISSING);
    CHECK_EQ_INT(iapt_cyp_tools_check_score(&t, "G", "3", "0", &r), IAPT_CYP_SCORE_GOAL_MISSING);
    CHECK_EQ_INT(iapt_cyp_tools_check_score(&t, "G", "3", "01", &r), IAPT_CYP_SCORE_GOAL_MISSING);
    CHECK_EQ_INT(iapt_cyp_tools_check_score(&t, "G", "3", "1.0", &r), IAPT_CYP_SCORE_GOAL_MISSING);
    CHECK_EQ_INT(r.goal_number, 0);
    CHECK_EQ_INT(iapt_cyp_tools_check_score(&t, "L", "3", "1", &r), IAPT_CYP_SCORE_GOAL_ON_SYMPTOM);
    CHECK_EQ_INT(iapt_cyp_tools_check_score(&t, "L", "3", "x", &r), IAPT_CYP_SCORE_GOAL_ON_SYMPTOM);
    /* The range is judged before the goal number. */
    CHECK_EQ_INT(iapt_cyp_tools_check_score(&t, "G", "11", "", &r), IAPT_CYP_SCORE_OUT_OF_RANGE);
    for (int v = IAPT_CYP_SCORE_OK; v <= IAPT_CYP_SCORE_GOAL_ON_SYMPTOM; v++)
        CHECK(strlen(iapt_cyp_score_verdict_text((enum iapt_cyp_score_verdict)v)) > 0);
}

TEST_MAIN(test_parse_exact_hundredths, test_no_goal_row_is_accepted, test_sha256_of_the_bytes,
          test_refuse_second_goal_row, test_refuse_goal_better_lower,
          test_refuse_goal_with_caseness, test_refuse_symptom_without_caseness,
          test_refuse_min_over_max, test_refuse_repeated_code, test_refuse_bad_numbers,
          test_refuse_bad_words, test_refuse_empty, test_refuse_too_many, test_caseness_and_gain,
          test_load_file, test_columns_by_name, test_check_score_rows)
