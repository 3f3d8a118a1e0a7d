/* test_schema.c - the generic extract engine (node/extract.h) reading a
 * collection it has never seen: a toy schema defined here (a header, people
 * with a colour code and a mandatory birth date, visits referring to
 * people), its own reason and record builder; the schema checks; and the
 * refusal of an extract that belongs to another collection. */
#include "common/collection.h"
#include "common/err.h"
#include "common/util.h"
#include "node/extract.h"
#include "node/gate.h"
#include "node/schema.h"
#include "tests/unit/extract_fixture.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

enum { TOY_HEADER, TOY_PERSON, TOY_VISIT, TOY_NTABLES };
enum { TH_ORG, TH_START, TH_END };
enum { TP_ID, TP_COLOUR, TP_BIRTH, TP_MENTOR, TP_HEIGHT };
enum { TV_ID, TV_PERSON, TV_DATE };
enum { TR_VISIT_BEFORE_BIRTH = IAPT_XR_COUNT };

static const char *const s_colours[] = {"R", "G", "B", NULL};
static const char *const s_toy_reasons[] = {"visit-before-birth", NULL};

static const iapt_xtable_t s_toy_tables[TOY_NTABLES] = {
    [TOY_HEADER] = {"TOY000Header",
                    "TOY000Header.csv",
                    true,
                    3,
                    {{"OrgIDProv", IAPT_XK_TEXT, IAPT_XN_M, NULL, -1, false},
                     {"ReportingPeriodStartDate", IAPT_XK_DATE, IAPT_XN_M, NULL, -1, false},
                     {"ReportingPeriodEndDate", IAPT_XK_DATE, IAPT_XN_M, NULL, -1, false}}},
    [TOY_PERSON] = {"TOY001Person",
                    "TOY001Person.csv",
                    true,
                    5,
                    {{"PersonId", IAPT_XK_ID, IAPT_XN_M, NULL, -1, true},
                     {"Colour", IAPT_XK_CODE, IAPT_XN_O, s_colours, -1, false},
                     {"BirthDate", IAPT_XK_DATE, IAPT_XN_M, NULL, -1, true},
                     /* an optional reference to a row of the same table */
                     {"MentorId", IAPT_XK_REF, IAPT_XN_O, NULL, TOY_PERSON, true},
                     {"Height", IAPT_XK_INTEGER, IAPT_XN_O, NULL, -1, false}}},
    [TOY_VISIT] = {"TOY002Visit",
                   "TOY002Visit.csv",
                   false,
                   3,
                   {{"VisitId", IAPT_XK_ID, IAPT_XN_M, NULL, -1, false},
                    {"PersonId", IAPT_XK_REF, IAPT_XN_M, NULL, TOY_PERSON, true},
                    {"VisitDate", IAPT_XK_DATE, IAPT_XN_M, NULL, -1, false}}},
};

/* A visit before its person's birth: the collection's own finding. */
static int
s_toy_resolved(iapt_xctx_t *x, int t, const iapt_xrow_t *row)
{
    uint32_t n;
    const iapt_xrow_t *people = iapt_xctx_rows(x, TOY_PERSON, &n);
    if (t != TOY_VISIT || row->v[TV_DATE].n >= people[row->parent].v[TP_BIRTH].n)
        return 0;
    return iapt_xctx_finding(x, t, TV_DATE, row, TR_VISIT_BEFORE_BIRTH, NULL, 0, false,
                             "before the person's BirthDate (%s line %llu)",
                             iapt_xctx_schema(x)->tables[TOY_PERSON].file,
                             (unsigned long long)people[row->parent].line);
}

/* People born by the period end are selected. */
static bool
s_toy_selected(const iapt_xctx_t *x, const iapt_xrow_t *r)
{
    return r->status[TP_BIRTH] == IAPT_XS_VALID && r->v[TP_BIRTH].n <= iapt_xctx_period(x)->end;
}

/* One record per selected person: "id:colour:visits", id = BLAKE2b of the
 * person id (so the engine's sort by id is visible). */
static int
s_toy_build(iapt_xctx_t *x)
{
    uint32_t n;
    const iapt_xrow_t *people = iapt_xctx_rows(x, TOY_PERSON, &n);
    iapt_xgroup_t visits;
    int rc = iapt_xgroup_build(x, TOY_VISIT, TOY_PERSON, &visits);
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        const iapt_xrow_t *p = &people[i];
        if (p->rejected || !s_toy_selected(x, p))
            continue;
        char rec[128];
        uint8_t id[16];
        int len = snprintf(rec, sizeof rec, "%s:%s:%u", p->v[TP_ID].s,
                           p->v[TP_COLOUR].s ? p->v[TP_COLOUR].s : "-",
                           visits.off[i + 1] - visits.off[i]);
        crypto_generichash(id, sizeof id, (const uint8_t *)p->v[TP_ID].s, strlen(p->v[TP_ID].s),
                           NULL, 0);
        rc = iapt_xctx_record_add(x, id, (const uint8_t *)rec, (size_t)len);
    }
    iapt_xgroup_free(&visits);
    return rc;
}

static const iapt_gate_need_t s_toy_needs[] = {
    {"TOY002", {TOY_VISIT}, 1, NULL, "without visits nothing can be counted", NULL},
};

static const iapt_extract_schema_t s_toy = {
    .n_tables = TOY_NTABLES,
    .tables = s_toy_tables,
    .header_table = TOY_HEADER,
    .header_org = TH_ORG,
    .header_start = TH_START,
    .header_end = TH_END,
    .header_created = -1,
    .record_table = TOY_PERSON,
    .record_noun = "person",
    .record_plural = "people",
    .reasons = s_toy_reasons,
    .resolved_rule = s_toy_resolved,
    .selected = s_toy_selected,
    .build_records = s_toy_build,
    .gate_needs = s_toy_needs,
    .n_gate_needs = 1,
};

static const iapt_collection_t s_toy_collection = {
    .name = "TOY", .key = "toy", .title = "Toy", .index = 9, .node = &s_toy};

static const char s_hdr[] = "OrgIDProv,ReportingPeriodStartDate,ReportingPeriodEndDate\n"
                            "RAT,2024-05-01,2024-05-31\n";
/* line 2 fine; 3 bad colour (kept: optional); 4 no birth date (rejected);
 * 5 duplicate of 2's id (both rejected); 6 born after the period (not
 * selected); 7 fine. */
static const char s_people[] = "PersonId,Colour,BirthDate\n"
                               "P1,R,2000-01-01\n"
                               "P2,Q,2001-02-03\n"
                               "P3,G,\n"
                               "P1,B,2002-01-01\n"
                               "P4,,2024-06-01\n"
                               "P5,B,2010-10-10\n";
/* line 2 names the duplicated (rejected) P1; 3 fine; 4 names no one;
 * 5 missing date (rejected); 6 before P5's birth (kept, own reason);
 * 7 names P3 (rejected for its missing birth date). */
static const char s_visits[] = "VisitId,PersonId,VisitDate\n"
                               "V1,P1,2024-05-02\n"
                               "V2,P2,2024-05-03\n"
                               "V3,P9,2024-05-04\n"
                               "V4,P5,\n"
                               "V5,P5,2009-01-01\n"
                               "V6,P3,2024-05-06\n";

static int
s_read_toy(const char *people, const char *visits, iapt_extract_t **ext)
{
    iapt_extract_options_t o = fx_options();
    o.schema = &s_toy;
    iapt_extract_file_t files[3] = {{"TOY000Header", s_hdr, strlen(s_hdr)},
                                    {"TOY001Person", people, strlen(people)},
                                    {"TOY002Visit", visits, visits ? strlen(visits) : 0}};
    return iapt_extract_read_mem(&o, files, visits ? 3 : 2, ext);
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

static void
test_toy_findings_and_cascade(void)
{
    iapt_extract_t *ext = NULL;
    CHECK_EQ_INT(s_read_toy(s_people, s_visits, &ext), 0);
    if (!ext)
        return;
    CHECK(ext->schema == &s_toy);
    /* Every finding named by file, line, field and reason, as worked out
     * from the rows above: 9 in all. */
    const iapt_finding_t *f;
    CHECK((f = s_find(ext, "TOY001Person.csv", 3, "Colour", "unknown-code")) && !f->rejects &&
          !strcmp(f->value, "Q"));
    CHECK((f = s_find(ext, "TOY001Person.csv", 4, "BirthDate", "missing")) && f->rejects);
    CHECK((f = s_find(ext, "TOY001Person.csv", 2, "PersonId", "duplicate-id")) && f->rejects &&
          !strcmp(f->value, "*") && !strcmp(f->detail, "the same id is on line 5"));
    CHECK((f = s_find(ext, "TOY001Person.csv", 5, "PersonId", "duplicate-id")) && f->rejects);
    CHECK((f = s_find(ext, "TOY002Visit.csv", 2, "PersonId", "orphan")) && f->rejects &&
          !strcmp(f->detail, "the row it names (TOY001Person.csv line 2) is rejected"));
    CHECK((f = s_find(ext, "TOY002Visit.csv", 4, "PersonId", "orphan")) && f->rejects &&
          !strcmp(f->detail, "no row of TOY001Person.csv has this id"));
    CHECK((f = s_find(ext, "TOY002Visit.csv", 5, "VisitDate", "missing")) && f->rejects);
    CHECK((f = s_find(ext, "TOY002Visit.csv", 6, "VisitDate", "visit-before-birth")) &&
          !f->rejects &&
          !strcmp(f->detail, "before the person's BirthDate (TOY001Person.csv "
                             "line 7)"));
    CHECK((f = s_find(ext, "TOY002Visit.csv", 7, "PersonId", "orphan")) && f->rejects &&
          !strcmp(f->detail, "the row it names (TOY001Person.csv line 4) is rejected"));
    CHECK_EQ_INT((int)ext->n_findings, 9);
    CHECK_EQ_INT((int)ext->quality->findings, 9);

    /* Counts over the record table: 6 people, 3 rejected (P1 twice, P3),
     * 5 selected (all but P4, born after the period; P3 has no valid birth
     * date so it is not selected either: 4), records P2 and P5. */
    CHECK_EQ_INT((int)ext->quality->referrals_in_extract, 6);
    CHECK_EQ_INT((int)ext->quality->referrals_rejected, 3);
    CHECK_EQ_INT((int)ext->quality->referrals_selected, 4);
    CHECK_EQ_INT((int)ext->n_records, 2);
    CHECK_EQ_INT((int)ext->quality->n_tables, 3);
    CHECK_EQ_INT((int)ext->quality->tables[2]->rows, 6);
    CHECK_EQ_INT((int)ext->quality->tables[2]->rejected, 4);
    /* Colour: 4 valid (R, G, B, B), 1 invalid (Q), 1 missing (P4). */
    CHECK_EQ_INT((int)ext->quality->tables[1]->fields[1]->valid, 4);
    CHECK_EQ_INT((int)ext->quality->tables[1]->fields[1]->invalid, 1);
    CHECK_EQ_INT((int)ext->quality->tables[1]->fields[1]->missing, 1);
    /* Records sorted by id; their bytes are the builder's. */
    int saw_p2 = 0, saw_p5 = 0;
    for (size_t i = 0; i < ext->n_records; i++) {
        saw_p2 += ext->record_len[i] == 6 && !memcmp(ext->record[i], "P2:?:1", 6);
        saw_p5 += ext->record_len[i] == 6 && !memcmp(ext->record[i], "P5:B:1", 6);
    }
    CHECK(saw_p2 == 1 && saw_p5 == 1);
    /* Reason counts: the engine's and the collection's own, alphabetical
     * within a field. */
    int own = 0;
    for (size_t i = 0; i < ext->quality->n_reasons; i++)
        own += !strcmp(ext->quality->reasons[i]->reason, "visit-before-birth");
    CHECK_EQ_INT(own, 1);

    /* The text report names the toy files. */
    char *text = NULL;
    size_t tlen = 0;
    FILE *mem = open_memstream(&text, &tlen);
    CHECK_EQ_INT(iapt_extract_report_text(ext, 100, mem), 0);
    fclose(mem);
    CHECK(text && strstr(text, "TOY001Person.csv (6 rows, 3 rejected)") &&
          strstr(text, "TOY002Visit.csv:6: VisitDate: visit-before-birth"));
    free(text);
    iapt_extract_destroy(&ext);
}

static void
test_toy_refusals(void)
{
    iapt_extract_t *ext = NULL;
    iapt_extract_options_t o = fx_options();
    o.schema = &s_toy;
    /* The required person file missing; a table of another schema given. */
    iapt_extract_file_t only_hdr[] = {{"TOY000Header", s_hdr, strlen(s_hdr)}};
    CHECK_EQ_INT(iapt_extract_read_mem(&o, only_hdr, 1, &ext), IAPT_EREFUSED);
    CHECK(strstr(iapt_error_detail(), "TOY001Person.csv: required file missing") != NULL);
    iapt_extract_file_t adult[] = {{"IDS000Header", s_hdr, strlen(s_hdr)}};
    CHECK_EQ_INT(iapt_extract_read_mem(&o, adult, 1, &ext), IAPT_EUSAGE);
    /* A required column missing refuses; a header for another org too. */
    CHECK_EQ_INT(s_read_toy("PersonId,Colour\nP1,R\n", NULL, &ext), IAPT_EREFUSED);
    CHECK(strstr(iapt_error_detail(), "required column 'BirthDate' missing") != NULL);
    o.org = "RBB";
    iapt_extract_file_t two[] = {{"TOY000Header", s_hdr, strlen(s_hdr)},
                                 {"TOY001Person", s_people, strlen(s_people)}};
    CHECK_EQ_INT(iapt_extract_read_mem(&o, two, 2, &ext), IAPT_EREFUSED);
    CHECK(strstr(iapt_error_detail(), "OrgIDProv is 'RAT', this node is 'RBB'") != NULL);
    CHECK(ext == NULL);
}

static void
test_toy_gate(void)
{
    iapt_extract_t *ext = NULL;
    CHECK_EQ_INT(s_read_toy(s_people, NULL, &ext), 0);
    if (!ext)
        return;
    iapt_gate_result_t res;
    iapt_gate_options_t go = {.period = fx_period("2024-05"),
                              .collection = "TOY",
                              .today = iapt_days_from_civil(2024, 6, 10),
                              .max_rejected_share = 0.2};
    CHECK_EQ_INT(iapt_gate_run(ext, &go, &res), 0);
    /* Visits absent (the schema's need) and 3 of 6 people rejected. */
    int missing = 0, share = 0;
    for (size_t i = 0; i < res.n; i++) {
        missing +=
            !strcmp(res.finding[i].check, "table-missing:TOY002") &&
            strstr(res.finding[i].message, "TOY002Visit.csv is missing: without visits") != NULL;
        share += !strcmp(res.finding[i].check, "rejected-share") &&
                 strstr(res.finding[i].message, "3 of 6 people (50.0%)") != NULL;
    }
    CHECK_EQ_INT(missing, 1);
    CHECK_EQ_INT(share, 1);
    iapt_gate_result_free(&res);
    iapt_extract_destroy(&ext);
}

static void
test_schema_check(void)
{
    CHECK_EQ_INT(iapt_extract_schema_check(&s_toy), 0);
    CHECK_EQ_INT(iapt_extract_schema_check(iapt_extract_schema_default()), 0);
    /* Visits resolved before the people they refer to. */
    static const int bad_order[] = {TOY_HEADER, TOY_VISIT, TOY_PERSON};
    iapt_extract_schema_t s = s_toy;
    s.cascade = bad_order;
    s.n_cascade = 3;
    CHECK_EQ_INT(iapt_extract_schema_check(&s), IAPT_EUSAGE);
    CHECK(strstr(iapt_error_detail(), "TOY002Visit comes before TOY001Person") != NULL);
    /* ... and the engine refuses to read with it. */
    iapt_extract_t *ext = NULL;
    iapt_extract_options_t o = fx_options();
    o.schema = &s;
    iapt_extract_file_t files[] = {{"TOY000Header", s_hdr, strlen(s_hdr)}};
    CHECK_EQ_INT(iapt_extract_read_mem(&o, files, 1, &ext), IAPT_EUSAGE);
    /* A coded field with no list; a header org field out of range. */
    iapt_xtable_t tables[TOY_NTABLES];
    memcpy(tables, s_toy_tables, sizeof tables);
    tables[TOY_PERSON].field[TP_COLOUR].codes = NULL;
    s = s_toy;
    s.tables = tables;
    CHECK_EQ_INT(iapt_extract_schema_check(&s), IAPT_EUSAGE);
    s = s_toy;
    s.header_org = 7;
    CHECK_EQ_INT(iapt_extract_schema_check(&s), IAPT_EUSAGE);
    s = s_toy;
    s.build_records = NULL;
    CHECK_EQ_INT(iapt_extract_schema_check(&s), IAPT_EUSAGE);
    /* A reason of its own that the engine already has. */
    static const char *const twice[] = {"orphan", NULL};
    s = s_toy;
    s.reasons = twice;
    o.schema = &s;
    CHECK_EQ_INT(iapt_extract_read_mem(&o, files, 1, &ext), IAPT_EUSAGE);
    CHECK(strstr(iapt_error_detail(), "'orphan' is named twice") != NULL);
}

/* An optional reference to the same table: an orphan is a finding that
 * does not reject; integers parse or are bad numbers. */
static void
test_toy_optional_reference(void)
{
    static const char people[] = "PersonId,Colour,BirthDate,MentorId,Height\n"
                                 "P1,R,2000-01-01,,170\n"
                                 "P2,G,2001-01-01,P1,-3\n"
                                 "P3,G,2001-01-01,P9,12x\n"
                                 "P4,G,,P1,\n"
                                 "P5,B,2002-01-01,P4,99999999999\n";
    iapt_extract_t *ext = NULL;
    CHECK_EQ_INT(s_read_toy(people, NULL, &ext), 0);
    if (!ext)
        return;
    const iapt_finding_t *f;
    CHECK((f = s_find(ext, "TOY001Person.csv", 4, "MentorId", "orphan")) && !f->rejects &&
          !strcmp(f->detail, "no row of TOY001Person.csv has this id"));
    CHECK((f = s_find(ext, "TOY001Person.csv", 6, "MentorId", "orphan")) && !f->rejects &&
          !strcmp(f->detail, "the row it names (TOY001Person.csv line 5) is rejected"));
    CHECK((f = s_find(ext, "TOY001Person.csv", 4, "Height", "bad-number")) && !f->rejects);
    CHECK((f = s_find(ext, "TOY001Person.csv", 6, "Height", "bad-number")) && !f->rejects);
    CHECK(s_find(ext, "TOY001Person.csv", 3, "Height", "bad-number") == NULL);
    /* Only P4 (no birth date) is rejected: P1, P2, P3, P5 are records. */
    CHECK_EQ_INT((int)ext->quality->referrals_rejected, 1);
    CHECK_EQ_INT((int)ext->n_records, 4);
    const Iapt__FieldQuality *mentor = ext->quality->tables[1]->fields[TP_MENTOR];
    CHECK_EQ_INT((int)mentor->valid, 2);
    CHECK_EQ_INT((int)mentor->invalid, 2);
    CHECK_EQ_INT((int)mentor->missing, 1);
    CHECK_EQ_INT((int)ext->n_findings, 5);
    iapt_extract_destroy(&ext);
}

static void
s_write(const char *dir, const char *file, const char *text)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    CHECK_EQ_INT(iapt_file_write_atomic(path, text, strlen(text), 0600), 0);
}

static void
test_wrong_collection(void)
{
    const char *dir = t_tmpdir();
    char path[700];
    iapt_extract_t *ext = NULL;
    iapt_extract_options_t o = fx_options();
    snprintf(path, sizeof path, "%s", dir);
    o.dir = path;
    s_write(path, "TOY000Header.csv", s_hdr);
    s_write(path, "TOY001Person.csv", s_people);

    /* Read as the adult collection: the toy header is found and named. */
    const iapt_collection_t *both[] = {iapt_collection_default(), &s_toy_collection};
    o.collections = both;
    o.n_collections = 2;
    CHECK_EQ_INT(iapt_extract_read(&o, &ext), IAPT_EREFUSED);
    CHECK(strstr(iapt_error_detail(),
                 "IDS000Header.csv: required file missing; this directory holds "
                 "TOY000Header.csv: it looks like an extract of the TOY collection; use "
                 "--collection TOY") != NULL);
    CHECK(ext == NULL);

    /* Without the toy among the collections asked: the plain refusal. */
    o.collections = NULL;
    o.n_collections = 0;
    CHECK_EQ_INT(iapt_extract_read(&o, &ext), IAPT_EREFUSED);
    CHECK(strstr(iapt_error_detail(), "it looks like") == NULL);
    CHECK(strstr(iapt_error_detail(), "IDS000Header.csv: required file missing") != NULL);

    /* The reverse: an adult header read as the toy; every registered
     * collection is asked, so the adult one is named. */
    snprintf(path + strlen(path), sizeof path - strlen(path), "/TOY000Header.csv");
    unlink(path);
    snprintf(path, sizeof path, "%s", dir);
    s_write(path, "IDS000Header.csv", s_hdr);
    o.schema = &s_toy;
    CHECK_EQ_INT(iapt_extract_read(&o, &ext), IAPT_EREFUSED);
    CHECK(strstr(iapt_error_detail(),
                 "TOY000Header.csv: required file missing; this directory "
                 "holds IDS000Header.csv: it looks like an extract of the IAPT collection; "
                 "use --collection IAPT") != NULL);

    /* With the right collection the same directory reads. */
    s_write(path, "TOY000Header.csv", s_hdr);
    CHECK_EQ_INT(iapt_extract_read(&o, &ext), 0);
    CHECK(ext && ext->n_records == 2);
    iapt_extract_destroy(&ext);
}

TEST_MAIN(test_toy_findings_and_cascade, test_toy_optional_reference, test_toy_refusals,
          test_toy_gate, test_schema_check, test_wrong_collection)
