/*
 * cyp_fixture.h - CYP referral records built by hand for unit tests: a
 * record with room for its contacts and scores, the tests' own tool table
 * (not the shipped one: nothing may depend on the shipped values) and
 * derivation that reports failures. Every case uses a 30-day period: day 0
 * is the first day, E = 29 the last.
 *
 * Strings in the records are the callers' (string literals): nothing to
 * free. One record per t_rec_t; not thread-safe (tests are single-threaded).
 */
#ifndef IAPT_TESTS_CYP_FIXTURE_H
#define IAPT_TESTS_CYP_FIXTURE_H

#include "common/collections/cyp/cyp_derive.h"
#include "common/err.h"
#include "tests/test.h"

#define PERIOD 30 /* September 2025 */
#define E (PERIOD - 1)

/* LOW: better=lower, caseness 20, reliable 5.5. HIGH: better=higher,
 * caseness 28, reliable 5. GOAL: reliable 2.45. */
static const char s_table[] = "code,name,kind,min,max,better,caseness,reliable_change\n"
                              "LOW,Lower is better,symptom,0,100,lower,20,5.5\n"
                              "HIGH,Higher is better,symptom,0,40,higher,28,5\n"
                              "GOAL,Goal progress,goal,0,10,higher,,2.45\n";
static iapt_cyp_tools_t s_tools;

enum { T_LOW = 0, T_HIGH = 1, T_GOAL = 2 };

static inline void
t_tools(void)
{
    if (s_tools.n == 0 && iapt_cyp_tools_parse(s_table, sizeof s_table - 1, "t", &s_tools) != 0) {
        fprintf(stderr, "test table refused: %s\n", iapt_error_detail());
        exit(2);
    }
}

/* The period of every case: September 2025 (30 days). */
static inline const iapt_period_t *
t_period(void)
{
    static iapt_period_t p;
    if (p.length == 0)
        iapt_period_make(2025, 9, &p);
    return &p;
}

/* A record under construction, with room for its lists. */
typedef struct {
    Iapt__CypReferralRecord rec;
    Iapt__CypContact c[16];
    Iapt__CypContact *cp[16];
    Iapt__CypScore s[32];
    Iapt__CypScore *sp[32];
    uint8_t pathway[16], person[16];
} t_rec_t;

static inline void
t_init(t_rec_t *r, int32_t referral_day)
{
    t_tools();
    memset(r, 0, sizeof *r);
    Iapt__CypReferralRecord init = IAPT__CYP_REFERRAL_RECORD__INIT;
    r->rec = init;
    memset(r->pathway, 0xA1, 16);
    memset(r->person, 0xB2, 16);
    r->rec.pathway_id.data = r->pathway;
    r->rec.pathway_id.len = 16;
    r->rec.person_id.data = r->person;
    r->rec.person_id.len = 16;
    r->rec.commissioner = "15N";
    r->rec.referral_day = referral_day;
    r->rec.contacts = r->cp;
    r->rec.scores = r->sp;
}

static inline void
t_close(t_rec_t *r, int32_t day)
{
    r->rec.has_closure_day = 1;
    r->rec.closure_day = day;
}

static inline void
t_contact(t_rec_t *r, int32_t day, const char *attendance, const char *mechanism)
{
    Iapt__CypContact init = IAPT__CYP_CONTACT__INIT;
    size_t i = r->rec.n_contacts++;
    r->c[i] = init;
    r->c[i].day = day;
    r->c[i].attendance = (char *)attendance;
    r->c[i].mechanism = (char *)mechanism;
    r->cp[i] = &r->c[i];
}

/* A score in file order (file_order = its position), goal 0 = none. */
static inline void
t_score_at(t_rec_t *r, const char *tool, int32_t x100, int32_t day, unsigned goal,
           uint32_t file_order)
{
    Iapt__CypScore init = IAPT__CYP_SCORE__INIT;
    size_t i = r->rec.n_scores++;
    r->s[i] = init;
    r->s[i].tool = (char *)tool;
    r->s[i].value_x100 = x100;
    r->s[i].day = day;
    r->s[i].has_goal_number = goal != 0;
    r->s[i].goal_number = goal;
    r->s[i].file_order = file_order;
    r->sp[i] = &r->s[i];
}

static inline void
t_score(t_rec_t *r, const char *tool, int32_t x100, int32_t day, unsigned goal)
{
    t_score_at(r, tool, x100, day, goal, (uint32_t)r->rec.n_scores);
}

/* Closed on day 20 with two attended contacts, one face to face: outcome
 * flags then depend on the series alone. */
static inline void
t_treated(t_rec_t *r)
{
    t_init(r, -40);
    t_close(r, 20);
    t_contact(r, 2, "5", "01");
    t_contact(r, 9, "6", "02");
}

static inline iapt_cyp_derived_t
t_derive(const t_rec_t *r)
{
    iapt_cyp_derived_t d;
    memset(&d, 0, sizeof d);
    int rc = iapt_cyp_derive(&r->rec, t_period(), &s_tools, &d);
    if (rc != 0) {
        fprintf(stderr, "    derive failed: %s\n", iapt_error_detail());
        CHECK_EQ_INT(rc, 0);
    }
    return d;
}

#endif
