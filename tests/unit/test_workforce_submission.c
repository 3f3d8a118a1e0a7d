/* test_workforce_submission.c - a whole workforce submission, as serialized
 * leaves, into cell contributions: a small service worked by hand, every
 * breakdown level it touches, the refusals. October 2025 (Wednesday 1st):
 * full weeks start on days 5, 12 and 19. */

#include "common/collections/workforce/workforce_measures.h"
#include "common/collections/workforce/workforce_submission.h"
#include "common/err.h"
#include "proto/workforce.pb-c.h"
#include "tests/test.h"

/* Cells summed from contributions: [breakdown][level][counter]. */
typedef struct {
    uint64_t c[IAPT_WF_BREAKDOWN_COUNT][IAPT_WF_BREAKDOWN_LEVELS_MAX][IAPT_WF_C_COUNT];
    int emitted;
    int fail_at; /* emit returns IAPT_EFULL on this call (1-based), 0 never */
} cells_t;

static int
emit(void *arg, const iapt_wf_contribution_t *k)
{
    cells_t *cells = arg;
    if (++cells->emitted == cells->fail_at)
        return IAPT_EFULL;
    for (int b = 0; b < IAPT_WF_BREAKDOWN_COUNT; b++) {
        if (b > 0 && k->whole_only)
            break;
        int level = b == 0 ? 0 : k->level[b];
        CHECK(level >= 0 && (size_t)level < iapt_wf_breakdown_def(b)->n_levels);
        for (int i = 0; i < IAPT_WF_C_COUNT; i++)
            cells->c[b][level][i] += k->counter[i];
    }
    return 0;
}

/* ---- leaves ---- */

typedef struct {
    uint8_t bytes[1024];
    size_t len;
} leaf_t;

typedef struct {
    uint8_t who;
    const char *role, *band, *profession;
    uint32_t wte;
    int32_t start;
    int has_end;
    int32_t end;
    int has_completed;
    int32_t completed;
    uint8_t supervisor; /* 0: none */
    uint32_t minutes;   /* one session of this on each full week's Monday, 0: none */
    char type;
} spec_t;

static void
pack_staff(const spec_t *sp, leaf_t *out)
{
    uint8_t id[16], sup[16];
    memset(id, sp->who, 16);
    memset(sup, sp->supervisor, 16);
    Iapt__WfSupervisionSession sess[3], *ptr[3];
    char type[2] = {sp->type, 0};
    for (int i = 0; i < 3; i++) {
        Iapt__WfSupervisionSession init = IAPT__WF_SUPERVISION_SESSION__INIT;
        sess[i] = init;
        sess[i].day = 5 + 7 * i;
        sess[i].minutes = sp->minutes;
        sess[i].type = type;
        ptr[i] = &sess[i];
    }
    Iapt__WfStaffRecord s = IAPT__WF_STAFF_RECORD__INIT;
    s.staff_id.data = id;
    s.staff_id.len = 16;
    s.role = (char *)sp->role;
    s.band = (char *)sp->band;
    s.profession = (char *)sp->profession;
    s.wte_x100 = sp->wte;
    s.post_start_day = sp->start;
    s.has_post_end_day = sp->has_end;
    s.post_end_day = sp->end;
    s.has_training_completed_day = sp->has_completed;
    s.training_completed_day = sp->completed;
    if (sp->supervisor) {
        s.has_supervisor_id = 1;
        s.supervisor_id.data = sup;
        s.supervisor_id.len = 16;
    }
    if (sp->minutes) {
        s.n_sessions = 3;
        s.sessions = ptr;
    }
    Iapt__WfRecord r = IAPT__WF_RECORD__INIT;
    r.kind_case = IAPT__WF_RECORD__KIND_STAFF;
    r.staff = &s;
    out->len = iapt__wf_record__get_packed_size(&r);
    CHECK(out->len <= sizeof out->bytes);
    iapt__wf_record__pack(&r, out->bytes);
}

static void
pack_vacancy(const char *role, const char *band, uint32_t wte, leaf_t *out)
{
    Iapt__WfVacancyRecord v = IAPT__WF_VACANCY_RECORD__INIT;
    v.role = (char *)role;
    v.band = (char *)band;
    v.wte_x100 = wte;
    Iapt__WfRecord r = IAPT__WF_RECORD__INIT;
    r.kind_case = IAPT__WF_RECORD__KIND_VACANCY;
    r.vacancy = &v;
    out->len = iapt__wf_record__get_packed_size(&r);
    iapt__wf_record__pack(&r, out->bytes);
}

/* The service of the file comment. */
static const spec_t s_service[] = {
    /* 1 LIT: in post all period, supervised by 5, 60 I each week: eligible, met */
    {1, "LIT", "4", "GRD", 100, -300, 0, 0, 0, 0, 5, 60, 'I'},
    /* 2 LIT: starts on the 11th, supervised by 5 */
    {2, "LIT", "4", NULL, 60, 10, 0, 0, 0, 0, 5, 60, 'I'},
    /* 3 HIT: no supervisor; case management only: eligible, not met */
    {3, "HIT", "6", "CLP", 100, -300, 0, 0, 0, 0, 0, 60, 'C'},
    /* 4 HIQ: leaves on the 30th (day 29): a leaver, not in post at the end */
    {4, "HIQ", "7", "CLP", 80, -900, 1, 29, 0, 0, 0, 60, 'I'},
    /* 5 SUP: the supervisor */
    {5, "SUP", "8a", "CLP", 100, -2000, 0, 0, 0, 0, 0, 0, 'I'},
    /* 6 LIQ 0.50: 120 group minutes each week: eligible, met; trained on the 4th */
    {6, "LIQ", "5", "?", 50, -100, 0, 0, 1, 3, 0, 120, 'G'},
};

static int
run(const leaf_t *leaves, size_t n, cells_t *cells)
{
    iapt_period_t p;
    iapt_period_make(2025, 10, &p);
    iapt_wf_submission_t *s = NULL;
    CHECK_EQ_INT(iapt_wf_submission_open(&p, &s), 0);
    if (!s)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = iapt_wf_submission_record(s, leaves[i].bytes, leaves[i].len, i, emit, cells);
    if (rc == 0)
        rc = iapt_wf_submission_close(s, emit, cells);
    iapt_wf_submission_free(s);
    return rc;
}

static size_t
service_leaves(leaf_t *leaves)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof s_service / sizeof *s_service; i++)
        pack_staff(&s_service[i], &leaves[n++]);
    pack_vacancy("HIT", "6", 100, &leaves[n++]);
    pack_vacancy("LIQ", NULL, 40, &leaves[n++]);
    return n;
}

static void
check_value(const uint64_t *c, const char *id, bool exact, const char *want)
{
    const iapt_wf_rule_t *r = iapt_wf_rule_find(id);
    CHECK(r != NULL);
    if (!r)
        return;
    iapt_wf_value_t v;
    char out[IAPT_WF_TEXT_MAX];
    iapt_wf_value(r, c, &v);
    iapt_wf_format(&v, exact, out);
    if (strcmp(out, want) != 0) {
        fprintf(stderr, "%s %s: \"%s\", want \"%s\"\n", id, exact ? "exact" : "below", out, want);
        t_failed_checks++;
    }
}

static void
test_small_service(void)
{
    leaf_t leaves[16];
    size_t n = service_leaves(leaves);
    static cells_t cells;
    memset(&cells, 0, sizeof cells);
    CHECK_EQ_INT(run(leaves, n, &cells), 0);
    CHECK_EQ_INT(cells.emitted, 9); /* 8 records and the supervisor accounting */

    const uint64_t *w = cells.c[0][0];
    /* Worked by hand (see s_service): */
    CHECK_EQ_INT(w[IAPT_WF_C_APPEAR], 7); /* 6 staff records and the submission */
    CHECK_EQ_INT(w[IAPT_WF_C_SUBMISSIONS], 1);
    CHECK_EQ_INT(w[IAPT_WF_C_STAFF_RECORDS], 6);
    CHECK_EQ_INT(w[IAPT_WF_C_STAFF], 5);       /* 1 2 3 5 6 */
    CHECK_EQ_INT(w[IAPT_WF_C_STAFF_WTE], 410); /* 100+60+100+100+50 */
    CHECK_EQ_INT(w[IAPT_WF_C_CLINICAL], 4);    /* 1 2 3 6 */
    CHECK_EQ_INT(w[IAPT_WF_C_CLINICAL_WTE], 310);
    CHECK_EQ_INT(w[IAPT_WF_C_TRAINEES], 3);           /* 1 2 3 */
    CHECK_EQ_INT(w[IAPT_WF_C_TRAINING_COMPLETED], 1); /* 6 */
    CHECK_EQ_INT(w[IAPT_WF_C_STARTERS], 1);           /* 2 */
    CHECK_EQ_INT(w[IAPT_WF_C_LEAVERS], 1);            /* 4 */
    CHECK_EQ_INT(w[IAPT_WF_C_VACANCIES], 2);
    CHECK_EQ_INT(w[IAPT_WF_C_VACANT_WTE], 140);
    CHECK_EQ_INT(w[IAPT_WF_C_ELIGIBLE], 3);        /* 1 3 6 */
    CHECK_EQ_INT(w[IAPT_WF_C_SUPERVISION_MET], 2); /* 1 6 */
    CHECK_EQ_INT(w[IAPT_WF_C_SUPERVISORS], 1);     /* 5 */
    CHECK_EQ_INT(w[IAPT_WF_C_TRAINEES_SUPERVISED], 2);
    CHECK_EQ_INT(w[IAPT_WF_C_SUPERVISORS_OVER_5], 0);
    CHECK_EQ_INT(w[IAPT_WF_C_TRAINEES_UNSUPERVISED], 1); /* 3 */

    check_value(w, "W002", true, "4.10");
    check_value(w, "W004", true, "3.10");
    check_value(w, "W010", true, "1.40");
    check_value(w, "W011", true, "25.5"); /* 140 / 550 = 25.45.. */
    check_value(w, "W022", true, "66.7"); /* 2 / 3 */
    check_value(w, "W031", true, "2.0");
    check_value(w, "W002", false, "4.1");
    check_value(w, "W004", false, "*"); /* 4 clinical */
    check_value(w, "W022", false, "*");

    /* Role LIT: members 1 and 2. */
    const uint64_t *lit = cells.c[IAPT_WF_BREAKDOWN_ROLE][IAPT_WF_ROLE_LIT];
    CHECK_EQ_INT(lit[IAPT_WF_C_APPEAR], 2);
    CHECK_EQ_INT(lit[IAPT_WF_C_STAFF], 2);
    CHECK_EQ_INT(lit[IAPT_WF_C_STAFF_WTE], 160);
    CHECK_EQ_INT(lit[IAPT_WF_C_TRAINEES], 2);
    CHECK_EQ_INT(lit[IAPT_WF_C_STARTERS], 1);
    CHECK_EQ_INT(lit[IAPT_WF_C_SUPERVISORS], 0); /* whole group only */
    /* Role HIT: member 3 only; the HIT vacancy is not split. */
    const uint64_t *hit = cells.c[IAPT_WF_BREAKDOWN_ROLE][IAPT_WF_ROLE_HIT];
    CHECK_EQ_INT(hit[IAPT_WF_C_APPEAR], 1);
    CHECK_EQ_INT(hit[IAPT_WF_C_VACANCIES], 0);
    /* Profession: GRD member 1; CLP 3 4 5 (4 a leaver); Unknown 2 (missing)
     * and 6 ("?"). */
    const uint64_t *grd = cells.c[IAPT_WF_BREAKDOWN_PROFESSION][iapt_wf_profession_level("GRD")];
    const uint64_t *clp = cells.c[IAPT_WF_BREAKDOWN_PROFESSION][iapt_wf_profession_level("CLP")];
    const uint64_t *unk = cells.c[IAPT_WF_BREAKDOWN_PROFESSION][iapt_wf_profession_level(NULL)];
    CHECK_EQ_INT(grd[IAPT_WF_C_STAFF], 1);
    CHECK_EQ_INT(clp[IAPT_WF_C_APPEAR], 3);
    CHECK_EQ_INT(clp[IAPT_WF_C_STAFF], 2);
    CHECK_EQ_INT(clp[IAPT_WF_C_STAFF_WTE], 200);
    CHECK_EQ_INT(clp[IAPT_WF_C_LEAVERS], 1);
    CHECK_EQ_INT(unk[IAPT_WF_C_STAFF], 2);
    CHECK_EQ_INT(unk[IAPT_WF_C_STAFF_WTE], 110);
    CHECK_EQ_INT(unk[IAPT_WF_C_TRAINING_COMPLETED], 1);
    /* Band 8a: member 5; band 6: member 3 only (not the vacancy). */
    CHECK_EQ_INT(cells.c[IAPT_WF_BREAKDOWN_BAND][iapt_wf_band_level("8a")][IAPT_WF_C_STAFF], 1);
    CHECK_EQ_INT(cells.c[IAPT_WF_BREAKDOWN_BAND][iapt_wf_band_level("6")][IAPT_WF_C_APPEAR], 1);
    /* The unknown band holds no staff member: it does not appear, though
     * the LIQ vacancy has no band. */
    CHECK_EQ_INT(cells.c[IAPT_WF_BREAKDOWN_BAND][iapt_wf_band_level(NULL)][IAPT_WF_C_APPEAR], 0);

    /* Every level of every breakdown sums to the whole group's staff
     * counters, and every cell keeps the counter bounds. */
    for (int b = 1; b < IAPT_WF_BREAKDOWN_COUNT; b++) {
        uint64_t staff = 0, wte = 0, leavers = 0;
        for (size_t l = 0; l < iapt_wf_breakdown_def(b)->n_levels; l++) {
            staff += cells.c[b][l][IAPT_WF_C_STAFF];
            wte += cells.c[b][l][IAPT_WF_C_STAFF_WTE];
            leavers += cells.c[b][l][IAPT_WF_C_LEAVERS];
        }
        CHECK_EQ_INT(staff, w[IAPT_WF_C_STAFF]);
        CHECK_EQ_INT(wte, w[IAPT_WF_C_STAFF_WTE]);
        CHECK_EQ_INT(leavers, w[IAPT_WF_C_LEAVERS]);
    }
    for (int b = 0; b < IAPT_WF_BREAKDOWN_COUNT; b++)
        for (size_t l = 0; l < IAPT_WF_BREAKDOWN_LEVELS_MAX; l++)
            for (int i = 0; i < IAPT_WF_C_COUNT; i++) {
                int bound = iapt_wf_counter_bound(i);
                if (bound >= 0)
                    CHECK(cells.c[b][l][i] <= cells.c[b][l][bound]);
            }
}

static void
test_refusals(void)
{
    leaf_t leaves[16];
    size_t n = service_leaves(leaves);
    static cells_t cells;

    /* Bytes that are no WfRecord. */
    memset(&cells, 0, sizeof cells);
    memcpy(leaves[2].bytes, "\xff\xff\xff\xff", 4);
    CHECK_EQ_INT(run(leaves, n, &cells), IAPT_EFORMAT);
    CHECK(strstr(iapt_error_detail(), "record 2") != NULL);

    /* A record that breaks a promise: the detail names leaf and field. */
    n = service_leaves(leaves);
    spec_t bad = s_service[3];
    bad.wte = 0;
    pack_staff(&bad, &leaves[3]);
    memset(&cells, 0, sizeof cells);
    CHECK_EQ_INT(run(leaves, n, &cells), IAPT_EFORMAT);
    CHECK_EQ_STR(iapt_error_detail(), "record 3: wte_x100: not 1 to 100");

    /* Any order gives the same cells (the node sorts leaves by id). */
    n = service_leaves(leaves);
    static cells_t sorted;
    memset(&sorted, 0, sizeof sorted);
    CHECK_EQ_INT(run(leaves, n, &sorted), 0);
    for (size_t i = 0; i < n / 2; i++) {
        leaf_t tmp = leaves[i];
        leaves[i] = leaves[n - 1 - i];
        leaves[n - 1 - i] = tmp;
    }
    memset(&cells, 0, sizeof cells);
    CHECK_EQ_INT(run(leaves, n, &cells), 0);
    CHECK(memcmp(cells.c, sorted.c, sizeof cells.c) == 0);

    /* A supervisor who is not in the submission: refused at close. */
    n = service_leaves(leaves);
    spec_t orphan = s_service[0];
    orphan.supervisor = 99;
    pack_staff(&orphan, &leaves[0]);
    memset(&cells, 0, sizeof cells);
    CHECK_EQ_INT(run(leaves, n, &cells), IAPT_EFORMAT);
    CHECK(strstr(iapt_error_detail(), "supervisor_id") != NULL);

    /* Two leaves of one person. */
    n = service_leaves(leaves);
    leaves[1] = leaves[0];
    memset(&cells, 0, sizeof cells);
    CHECK_EQ_INT(run(leaves, n, &cells), IAPT_EFORMAT);

    /* An emit failure is returned at once. */
    n = service_leaves(leaves);
    memset(&cells, 0, sizeof cells);
    cells.fail_at = 4;
    CHECK_EQ_INT(run(leaves, n, &cells), IAPT_EFULL);
    CHECK_EQ_INT(cells.emitted, 4);

    /* Use after close, and a period that is not a month. */
    iapt_period_t p;
    iapt_period_make(2025, 10, &p);
    iapt_wf_submission_t *s = NULL;
    CHECK_EQ_INT(iapt_wf_submission_open(&p, &s), 0);
    memset(&cells, 0, sizeof cells);
    CHECK_EQ_INT(iapt_wf_submission_close(s, emit, &cells), 0);
    CHECK_EQ_INT(cells.emitted, 1); /* an empty submission: zero supervisors */
    CHECK_EQ_INT(cells.c[0][0][IAPT_WF_C_SUPERVISORS], 0);
    CHECK_EQ_INT(cells.c[0][0][IAPT_WF_C_APPEAR], 1); /* but its group appears */
    CHECK_EQ_INT(cells.c[0][0][IAPT_WF_C_SUBMISSIONS], 1);
    CHECK_EQ_INT(iapt_wf_submission_record(s, leaves[0].bytes, leaves[0].len, 0, emit, &cells),
                 IAPT_ESTATE);
    CHECK_EQ_INT(iapt_wf_submission_close(s, emit, &cells), IAPT_ESTATE);
    iapt_wf_submission_free(s);
    iapt_period_t odd = p;
    odd.length = 7;
    CHECK_EQ_INT(iapt_wf_submission_open(&odd, &s), IAPT_EUSAGE);
    CHECK(s == NULL);
}

TEST_MAIN(test_small_service, test_refusals)
