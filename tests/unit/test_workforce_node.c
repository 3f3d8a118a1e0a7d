/* test_workforce_node.c - the workforce collection's node half
 * (common/collections/workforce/workforce_tables.c, workforce_rules.c,
 * workforce_build.c) through the generic extract engine: a hand-made
 * extract for 2024-05 whose every finding, rejection, selection and record
 * is worked out below from WORKFORCE.md and docs/WORKFORCE-NOTES.md; the
 * registry entry; the code lists against the hub half's; the gate's needs. */
#include "common/collection.h"
#include "common/collections/workforce/workforce_schema.h"
#include "common/collections/workforce/workforce_anonymise.h"
#include "common/collections/workforce/workforce_measures.h"
#include "common/collections/workforce/workforce_node.h"
#include "common/date.h"
#include "common/err.h"
#include "node/extract.h"
#include "node/gate.h"
#include "proto/workforce.pb-c.h"
#include "tests/unit/extract_fixture.h"

#include <string.h>

static const char s_hdr[] = "OrgIDProv,ReportingPeriodStartDate,ReportingPeriodEndDate,"
                            "DateTimeDatSetCreate\n"
                            "RAT,2024-05-01,2024-05-31,2024-06-03T09:00:00\n";

#define STAFF_COLS                                                                                 \
    "StaffId,StaffRole,AfCBand,WTE,PostStartDate,PostEndDate,Profession,TrainingStartDate,"        \
    "TrainingCompletedDate,SupervisorStaffId,Accredited\n"

/* Lines (the header is line 1):
 *  2 S1  qualified, in post: a supervisor
 *  3 T1  trainee with S1 as supervisor, WTE 0.5
 *  4 T2  trainee without TrainingStartDate nor SupervisorStaffId: 2 findings, kept
 *  5 T3  trainee naming S9, no such row: orphan, kept, no supervisor
 *  6 X1  WTE 0: out-of-range, rejected
 *  7 X2  WTE 1.01: out-of-range, rejected
 *  8 X3  WTE 0.333: bad-number (three decimals), rejected
 *  9 X4  WTE .5: bad-number, rejected
 * 10 E1  PostEndDate (2024-04-30) before PostStartDate (2024-05-10): end-before-start,
 *        kept as written and selected
 * 11 L1  left on 2024-04-30, before the period: not selected, no record
 * 12 F1  starts 2024-06-01, after the period: not selected, no record
 * 13 T4  trainee naming L1 (a valid row of no one in post in the period): orphan, kept
 * 14 T5  trainee naming X1 (rejected): orphan, kept
 * 15 N1  a supervisor (not a trainee) naming S9: orphan (every reference is checked), kept
 * 16 B1  StaffRole "lit": unknown-code, rejected
 * 17 Q1  Profession "DR", AfCBand "8A", Accredited "y": 3 unknown-code, kept ("?")
 * 18 S2  left on the period's last day: selected (in post at the end, a leaver) */
static const char s_staff[] = STAFF_COLS "S1,HIQ,7,1.00,2020-01-01,,CLP,,,,Y\n"
                                         "T1,LIT,4,0.5,2024-01-15,,GRD,2024-01-15,,S1,N\n"
                                         "T2,HIT,6,0.49,2023-09-01,,,,,,\n"
                                         "T3,CWT,,1,2023-09-01,,,2023-09-01,,S9,\n"
                                         "X1,LIQ,5,0,2020-01-01,,,,,,\n"
                                         "X2,LIQ,5,1.01,2020-01-01,,,,,,\n"
                                         "X3,LIQ,5,0.333,2020-01-01,,,,,,\n"
                                         "X4,LIQ,5,.5,2020-01-01,,,,,,\n"
                                         "E1,CNS,,0.8,2024-05-10,2024-04-30,,,,,\n"
                                         "L1,SUP,8a,1,2010-01-01,2024-04-30,,,,,\n"
                                         "F1,OTH,,1,2024-06-01,,,,,,\n"
                                         "T4,LIT,4,1,2024-01-01,,,2024-01-01,,L1,\n"
                                         "T5,LIT,4,1,2024-01-01,,,2024-01-01,,X1,\n"
                                         "N1,SUP,8a,1,2019-01-01,,,,,S9,\n"
                                         "B1,lit,4,1,2024-01-01,,,2024-01-01,,S1,\n"
                                         "Q1,LIQ,8A,1,2021-03-01,,DR,,2024-05-02,,y\n"
                                         "S2,HIQ,8b,0.6,2018-01-01,2024-05-31,PSY,,,,Y\n";

/* Lines:
 *  2 SV1  T1, valid (Monday 6 May, 60 I)
 *  3 SV2  0 minutes: out-of-range, rejected
 *  4 SV3  601 minutes: out-of-range, rejected
 *  5 SV4  45.5 minutes: bad-number, rejected
 *  6 SV5  T9, no such staff: orphan, rejected
 *  7 SV6  X1, a rejected staff row: orphan, rejected
 *  8 SV7  T1, valid (20 May, 600 C)
 *  9 SV8  T1, valid but dated 29 April: kept out of the record
 * 10 SV9  type "i": unknown-code, rejected
 * 11 SV10 T1, valid (13 May, 120 G); its SupervisorStaffId names no one, unchecked */
static const char s_sup[] = "SupervisionId,StaffId,SupervisorStaffId,SessionDate,DurationMinutes,"
                            "SupervisionType\n"
                            "SV1,T1,S1,2024-05-06,60,I\n"
                            "SV2,T1,,2024-05-13,0,I\n"
                            "SV3,T1,,2024-05-13,601,G\n"
                            "SV4,T1,,2024-05-13,45.5,G\n"
                            "SV5,T9,,2024-05-13,60,I\n"
                            "SV6,X1,,2024-05-13,60,I\n"
                            "SV7,T1,,2024-05-20,600,C\n"
                            "SV8,T1,,2024-04-29,60,I\n"
                            "SV9,T1,,2024-05-20,60,i\n"
                            "SV10,T1,ZZ9,2024-05-13,120,G\n";

/* Lines: 2 valid; 3 valid (no band); 4 role PWP: unknown-code, rejected;
 * 5 WTE 1.5: out-of-range, rejected. */
static const char s_vac[] = "StaffRole,AfCBand,WTE\n"
                            "LIQ,5,1.00\n"
                            "HIT,,0.5\n"
                            "PWP,,1\n"
                            "HIQ,7,1.5\n";

static int
s_read(const char *staff, const char *sup, const char *vac, iapt_extract_t **ext)
{
    iapt_extract_options_t o = fx_options();
    o.schema = &iapt_workforce_extract_schema;
    iapt_extract_file_t files[4];
    size_t n = 0;
    files[n++] = (iapt_extract_file_t){"WF000Header", s_hdr, strlen(s_hdr)};
    files[n++] = (iapt_extract_file_t){"WF001Staff", staff, strlen(staff)};
    if (sup)
        files[n++] = (iapt_extract_file_t){"WF002Supervision", sup, strlen(sup)};
    if (vac)
        files[n++] = (iapt_extract_file_t){"WF003Vacancy", vac, strlen(vac)};
    *ext = NULL;
    return iapt_extract_read_mem(&o, files, n, ext);
}

static const iapt_finding_t *
s_find(const iapt_extract_t *ext, const char *file, uint64_t line, const char *field,
       const char *reason)
{
    for (size_t i = 0; i < ext->n_findings; i++) {
        const iapt_finding_t *f = &ext->findings[i];
        if (!strcmp(f->file, file) && f->line == line && !strcmp(f->field, field) &&
            !strcmp(f->reason, reason))
            return f;
    }
    return NULL;
}

/* Every finding, with whether it rejects: 32 in all. */
static void
test_findings(void)
{
    iapt_extract_t *ext = NULL;
    CHECK_EQ_INT(s_read(s_staff, s_sup, s_vac, &ext), 0);
    if (!ext)
        return;
    const char *st = "WF001Staff.csv", *su = "WF002Supervision.csv", *va = "WF003Vacancy.csv";
    const iapt_finding_t *f;
    CHECK((f = s_find(ext, st, 4, "TrainingStartDate", "missing")) && !f->rejects &&
          strstr(f->detail, "required for a trainee role (HIT)"));
    CHECK((f = s_find(ext, st, 4, "SupervisorStaffId", "missing")) && !f->rejects &&
          strstr(f->detail, "trainee without a supervisor"));
    CHECK((f = s_find(ext, st, 5, "SupervisorStaffId", "orphan")) && !f->rejects &&
          !strcmp(f->detail, "no row of WF001Staff.csv has this id") && !strcmp(f->value, "*"));
    CHECK((f = s_find(ext, st, 6, "WTE", "out-of-range")) && f->rejects && !strcmp(f->value, "0") &&
          strstr(f->detail, "0.01 to 1.00"));
    CHECK((f = s_find(ext, st, 7, "WTE", "out-of-range")) && f->rejects);
    CHECK((f = s_find(ext, st, 8, "WTE", "bad-number")) && f->rejects);
    CHECK((f = s_find(ext, st, 9, "WTE", "bad-number")) && f->rejects);
    /* A date is identifying: masked. */
    CHECK((f = s_find(ext, st, 10, "PostEndDate", "end-before-start")) && !f->rejects &&
          strcmp(f->value, "2024-04-30") != 0 && strstr(f->detail, "used as written"));
    CHECK((f = s_find(ext, st, 13, "SupervisorStaffId", "orphan")) && !f->rejects &&
          !strcmp(f->detail, "the row it names (WF001Staff.csv line 11) is of no one in post in "
                             "the period: counted as a trainee without a supervisor"));
    CHECK((f = s_find(ext, st, 14, "SupervisorStaffId", "orphan")) && !f->rejects &&
          !strcmp(f->detail, "the row it names (WF001Staff.csv line 6) is rejected"));
    CHECK((f = s_find(ext, st, 15, "SupervisorStaffId", "orphan")) && !f->rejects);
    CHECK((f = s_find(ext, st, 16, "StaffRole", "unknown-code")) && f->rejects);
    CHECK((f = s_find(ext, st, 17, "AfCBand", "unknown-code")) && !f->rejects);
    CHECK((f = s_find(ext, st, 17, "Profession", "unknown-code")) && !f->rejects);
    CHECK((f = s_find(ext, st, 17, "Accredited", "unknown-code")) && !f->rejects);
    CHECK((f = s_find(ext, su, 3, "DurationMinutes", "out-of-range")) && f->rejects &&
          strstr(f->detail, "1 to 600"));
    CHECK((f = s_find(ext, su, 4, "DurationMinutes", "out-of-range")) && f->rejects);
    CHECK((f = s_find(ext, su, 5, "DurationMinutes", "bad-number")) && f->rejects);
    CHECK((f = s_find(ext, su, 6, "StaffId", "orphan")) && f->rejects);
    CHECK((f = s_find(ext, su, 7, "StaffId", "orphan")) && f->rejects &&
          !strcmp(f->detail, "the row it names (WF001Staff.csv line 6) is rejected"));
    CHECK((f = s_find(ext, su, 10, "SupervisionType", "unknown-code")) && f->rejects);
    CHECK((f = s_find(ext, va, 4, "StaffRole", "unknown-code")) && f->rejects);
    CHECK((f = s_find(ext, va, 5, "WTE", "out-of-range")) && f->rejects);
    /* Nothing else: 23 findings; no finding on a valid row, none on the
     * session SupervisorStaffId, none on a non-trainee's missing one. */
    CHECK_EQ_INT((int)ext->n_findings, 23);
    CHECK(s_find(ext, su, 11, "SupervisorStaffId", "orphan") == NULL);
    CHECK(s_find(ext, st, 2, "TrainingStartDate", "missing") == NULL);

    /* Staff: 17 rows, 5 rejected (X1-X4, B1); selected: all but L1, F1
     * and X1-X4 (valid start dates; X rows are selected too: selection
     * looks at the dates, rejected or not) -> 15; used 10. */
    CHECK_EQ_INT((int)ext->quality->referrals_in_extract, 17);
    CHECK_EQ_INT((int)ext->quality->referrals_rejected, 5);
    CHECK_EQ_INT((int)ext->quality->referrals_selected, 15);
    /* Records: 10 staff + 2 vacancies; "used" counts the staff. */
    CHECK_EQ_INT((int)ext->quality->referrals_used, 10);
    CHECK_EQ_INT((int)ext->n_records, 12);
    iapt_extract_destroy(&ext);
}

/* The pseudonym of (RAT, id) with the fixture's key. */
static void
s_pseudo(const char *id, uint8_t out[16])
{
    if (iapt_wf_pseudonym_staff(fx_key(0x11), "RAT", id, out) < 0)
        abort();
}

static const Iapt__WfStaffRecord *
s_staff_rec(Iapt__WfRecord **recs, size_t n, const char *id)
{
    uint8_t p[16];
    s_pseudo(id, p);
    for (size_t i = 0; i < n; i++)
        if (recs[i] && recs[i]->kind_case == IAPT__WF_RECORD__KIND_STAFF &&
            recs[i]->staff->staff_id.len == 16 && !memcmp(recs[i]->staff->staff_id.data, p, 16))
            return recs[i]->staff;
    return NULL;
}

static void
test_records(void)
{
    iapt_extract_t *ext = NULL;
    CHECK_EQ_INT(s_read(s_staff, s_sup, s_vac, &ext), 0);
    if (!ext)
        return;
    size_t n = ext->n_records;
    Iapt__WfRecord **recs = calloc(n, sizeof *recs);
    int staff = 0, vac = 0, vac_wte = 0;
    for (size_t i = 0; i < n; i++) {
        recs[i] = iapt__wf_record__unpack(NULL, ext->record_len[i], ext->record[i]);
        CHECK(recs[i] != NULL);
        if (!recs[i])
            continue;
        staff += recs[i]->kind_case == IAPT__WF_RECORD__KIND_STAFF;
        if (recs[i]->kind_case == IAPT__WF_RECORD__KIND_VACANCY) {
            vac++;
            vac_wte += (int)recs[i]->vacancy->wte_x100;
        }
    }
    CHECK_EQ_INT(staff, 10);
    CHECK_EQ_INT(vac, 2);
    CHECK_EQ_INT(vac_wte, 150);
    /* Who is carried, who is not. */
    static const char *const carried[] = {"S1", "T1", "T2", "T3", "E1",
                                          "T4", "T5", "N1", "Q1", "S2"};
    for (size_t i = 0; i < sizeof carried / sizeof *carried; i++)
        CHECK(s_staff_rec(recs, n, carried[i]) != NULL);
    static const char *const left_out[] = {"X1", "X2", "X3", "X4", "L1", "F1", "B1"};
    for (size_t i = 0; i < sizeof left_out / sizeof *left_out; i++)
        CHECK(s_staff_rec(recs, n, left_out[i]) == NULL);

    /* T1: its supervisor's pseudonym, WTE 50, days from 1 May, and its
     * sessions in the period in day order: 6 May 60 I (day 5), 13 May 120 G
     * (day 12), 20 May 600 C (day 19); 29 April left out. */
    const Iapt__WfStaffRecord *t1 = s_staff_rec(recs, n, "T1");
    uint8_t s1[16];
    s_pseudo("S1", s1);
    if (t1) {
        CHECK(t1->has_supervisor_id && t1->supervisor_id.len == 16 &&
              !memcmp(t1->supervisor_id.data, s1, 16));
        CHECK_EQ_STR(t1->role, "LIT");
        CHECK_EQ_STR(t1->band, "4");
        CHECK_EQ_STR(t1->profession, "GRD");
        CHECK_EQ_STR(t1->accredited, "N");
        CHECK_EQ_INT((int)t1->wte_x100, 50);
        CHECK_EQ_INT(t1->post_start_day,
                     iapt_days_from_civil(2024, 1, 15) - iapt_days_from_civil(2024, 5, 1));
        CHECK(!t1->has_post_end_day && t1->has_training_start_day &&
              !t1->has_training_completed_day);
        CHECK_EQ_INT((int)t1->n_sessions, 3);
        if (t1->n_sessions == 3) {
            CHECK(t1->sessions[0]->day == 5 && t1->sessions[0]->minutes == 60 &&
                  !strcmp(t1->sessions[0]->type, "I"));
            CHECK(t1->sessions[1]->day == 12 && t1->sessions[1]->minutes == 120 &&
                  !strcmp(t1->sessions[1]->type, "G"));
            CHECK(t1->sessions[2]->day == 19 && t1->sessions[2]->minutes == 600 &&
                  !strcmp(t1->sessions[2]->type, "C"));
        }
    }
    /* Trainees whose supervisor is missing, unknown, of no one in post or
     * rejected carry none; a non-trainee's reference is not carried. */
    static const char *const unsupervised[] = {"T2", "T3", "T4", "T5", "N1", "S1"};
    for (size_t i = 0; i < sizeof unsupervised / sizeof *unsupervised; i++) {
        const Iapt__WfStaffRecord *r = s_staff_rec(recs, n, unsupervised[i]);
        CHECK(r && !r->has_supervisor_id);
    }
    /* E1 as written: starts day 9, ends day -1. */
    const Iapt__WfStaffRecord *e1 = s_staff_rec(recs, n, "E1");
    CHECK(e1 && e1->post_start_day == 9 && e1->has_post_end_day && e1->post_end_day == -1);
    /* S2 leaves on the last day: day 30. */
    const Iapt__WfStaffRecord *s2 = s_staff_rec(recs, n, "S2");
    CHECK(s2 && s2->has_post_end_day && s2->post_end_day == 30 && s2->wte_x100 == 60);
    /* Invalid optional codes travel as "?"; a missing band is absent. */
    const Iapt__WfStaffRecord *q1 = s_staff_rec(recs, n, "Q1");
    CHECK(q1 && q1->band && !strcmp(q1->band, "?") && q1->profession &&
          !strcmp(q1->profession, "?") && q1->accredited && !strcmp(q1->accredited, "?") &&
          q1->has_training_completed_day && q1->training_completed_day == 1);
    const Iapt__WfStaffRecord *t3 = s_staff_rec(recs, n, "T3");
    CHECK(t3 && t3->band == NULL && t3->profession == NULL && t3->accredited == NULL);
    /* No StaffId, SupervisionId or session supervisor in any record. */
    for (size_t i = 0; i < n; i++) {
        static const char *const ids[] = {"S1", "T1", "SV1", "SV10", "ZZ9", "2024-"};
        for (size_t k = 0; k < sizeof ids / sizeof *ids; k++)
            CHECK(memmem(ext->record[i], ext->record_len[i], ids[k], strlen(ids[k])) == NULL);
    }
    for (size_t i = 0; i < n; i++)
        iapt__wf_record__free_unpacked(recs[i], NULL);
    free(recs);
    iapt_extract_destroy(&ext);
}

/* Leaving on the day before the period starts: not selected; on the first
 * day: selected. Starting on the last day: selected; the day after: not. */
static void
test_selection_edges(void)
{
    static const char staff[] = STAFF_COLS "A,LIQ,5,1,2020-01-01,2024-04-30,,,,,\n"
                                           "B,LIQ,5,1,2020-01-01,2024-05-01,,,,,\n"
                                           "C,LIQ,5,1,2024-05-31,,,,,,\n"
                                           "D,LIQ,5,1,2024-06-01,,,,,,\n"
                                           "E,LIQ,5,1,2020-01-01,2024-13-01,,,,,\n";
    iapt_extract_t *ext = NULL;
    CHECK_EQ_INT(s_read(staff, NULL, NULL, &ext), 0);
    if (!ext)
        return;
    /* B, C, and E (an invalid PostEndDate counts as missing: in post). */
    CHECK_EQ_INT((int)ext->quality->referrals_selected, 3);
    CHECK_EQ_INT((int)ext->n_records, 3);
    CHECK(s_find(ext, "WF001Staff.csv", 6, "PostEndDate", "bad-date") != NULL);
    iapt_extract_destroy(&ext);
}

/* The gate: staff rows are needed, and the supervision table. */
static void
test_gate(void)
{
    iapt_extract_t *ext = NULL;
    iapt_gate_result_t res;
    iapt_gate_options_t go = {.period = fx_period("2024-05"),
                              .collection = "WORKFORCE",
                              .today = iapt_days_from_civil(2024, 6, 10),
                              .max_rejected_share = 0.5};
    CHECK_EQ_INT(s_read(s_staff, s_sup, s_vac, &ext), 0);
    if (ext) {
        CHECK_EQ_INT(iapt_gate_run(ext, &go, &res), 0);
        CHECK_EQ_INT((int)res.n, 0);
        iapt_gate_result_free(&res);
        iapt_extract_destroy(&ext);
    }
    /* No WF002, and a WF001 of only its header (the vacancies still make
     * records, so the gate's own needs must catch it). */
    CHECK_EQ_INT(s_read(STAFF_COLS, NULL, s_vac, &ext), 0);
    if (ext) {
        CHECK_EQ_INT((int)ext->n_records, 2);
        CHECK_EQ_INT(iapt_gate_run(ext, &go, &res), 0);
        int staff = 0, sup = 0;
        for (size_t i = 0; i < res.n; i++) {
            staff += !strcmp(res.finding[i].check, "table-missing:WF001") &&
                     strstr(res.finding[i].message, "without staff rows") != NULL;
            sup += !strcmp(res.finding[i].check, "table-missing:WF002") &&
                   strstr(res.finding[i].message, "weekly supervision rule") != NULL;
        }
        CHECK_EQ_INT(staff, 1);
        CHECK_EQ_INT(sup, 1);
        iapt_gate_result_free(&res);
        iapt_extract_destroy(&ext);
    }
    /* Every staff row rejected: table-rejected:WF001 and the share. */
    CHECK_EQ_INT(s_read(STAFF_COLS "X,LIQ,5,0,2020-01-01,,,,,,\n", s_sup, NULL, &ext), 0);
    if (ext) {
        CHECK_EQ_INT(iapt_gate_run(ext, &go, &res), 0);
        int rej = 0, share = 0, zero = 0;
        for (size_t i = 0; i < res.n; i++) {
            rej += !strcmp(res.finding[i].check, "table-rejected:WF001");
            share += !strcmp(res.finding[i].check, "rejected-share") &&
                     strstr(res.finding[i].message, "1 of 1 staff members") != NULL;
            zero += !strcmp(res.finding[i].check, "zero-records") &&
                    strstr(res.finding[i].message, "no staff member can be used") != NULL;
        }
        CHECK(rej == 1 && share == 1 && zero == 1);
        iapt_gate_result_free(&res);
        iapt_extract_destroy(&ext);
    }
}

static void
test_registry_and_lists(void)
{
    const iapt_collection_t *c = iapt_collection_find("WORKFORCE");
    CHECK(c != NULL);
    if (!c)
        return;
    CHECK(iapt_collection_find("workforce") == c && iapt_collection_at(2) == c);
    CHECK_EQ_STR(c->key, "workforce");
    CHECK(c->index == 2 && c->node == &iapt_workforce_extract_schema &&
          c->hub == &iapt_workforce_measure_schema);
    CHECK(iapt_collection_default()->index == 0);
    CHECK(strstr(iapt_collection_names(), "WORKFORCE") != NULL);
    CHECK_EQ_INT(iapt_extract_schema_check(&iapt_workforce_extract_schema), 0);
    CHECK(iapt_workforce_extract_schema.tools_key == NULL);
    /* The node's code lists are the hub half's. */
    int n = 0;
    for (int i = 0; workforce_roles[i]; i++, n++)
        CHECK_EQ_INT(iapt_wf_role_find(workforce_roles[i]), i);
    CHECK_EQ_INT(n, IAPT_WF_ROLE_COUNT);
    n = 0;
    for (int i = 0; workforce_bands[i]; i++, n++)
        CHECK(iapt_wf_band_valid(workforce_bands[i]) &&
              iapt_wf_band_level(workforce_bands[i]) == i);
    CHECK_EQ_INT(n, 11);
    n = 0;
    for (int i = 0; workforce_professions[i]; i++, n++)
        CHECK(iapt_wf_profession_valid(workforce_professions[i]) &&
              iapt_wf_profession_level(workforce_professions[i]) == i);
    CHECK_EQ_INT(n, 9);
    CHECK(!iapt_wf_band_valid("8A") && !iapt_wf_profession_valid("nur"));
}

TEST_MAIN(test_findings, test_records, test_selection_edges, test_gate, test_registry_and_lists)
