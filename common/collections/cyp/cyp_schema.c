/* cyp_schema.c - the CYP collection's measure schema: catalogue,
 * breakdowns, derivation hooks, tool table and programme view. */

#include "common/collections/cyp/cyp_schema.h"
#include "common/collections/cyp/cyp_measures.h"
#include "common/collections/cyp/cyp_programme.h"
#include "common/err.h"
#include "common/geography.h"
#include "common/measures.h"
#include "common/providers.h"
#include "common/stats.h"
#include "common/util.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * Catalogue (docs/CYP.md order; the same entries as cyp_measures.c, which
 * test_cyp_schema checks)
 * ------------------------------------------------------------------------ */

#define C(n) IAPT_CYP_C_##n
#define RULE(id, name, kind, num, den, dist, scale, stock)                                         \
    {                                                                                              \
        {id, name, IAPT_MEASURE_##kind}, num, den, -1, dist, -1, scale, {NULL, NULL}, stock        \
    }
#define COUNT(id, name, c) RULE(id, name, COUNT, C(c), -1, -1, 1, false)
#define STOCK(id, name, c) RULE(id, name, COUNT, C(c), -1, -1, 1, true)
#define PERCENT(id, name, n, d) RULE(id, name, PERCENT, C(n), C(d), -1, 1, false)

static const iapt_measure_rule_t s_rules[] = {
    COUNT("C001", "Count_ReferralsReceived", C001),
    COUNT("C002", "Count_SelfReferrals", C002),
    COUNT("C003", "Count_ParentCarerReferrals", C003),
    COUNT("C004", "Count_SchoolReferrals", C004),
    COUNT("C010", "Count_FirstContact", C010),
    COUNT("C011", "Count_SecondContact", C011),
    STOCK("C012", "Count_OpenReferralsEnd", C012),
    STOCK("C013", "Count_WaitingFirstContactEnd", C013),
    STOCK("C014", "Count_WaitingOver18WeeksEnd", C014),
    COUNT("C020", "Count_AttendedContacts", C020),
    COUNT("C021", "Count_DNAContacts", C021),
    PERCENT("C022", "Percentage_DNA", C021, C022_DEN),
    COUNT("C030", "Count_Closed", C030),
    COUNT("C031", "Count_ClosedTwoContacts", C031),
    COUNT("C032", "Count_ClosedPaired", C032),
    PERCENT("C033", "Percentage_ClosedPaired", C032, C031),
    COUNT("C040", "Count_OutcomeEligible", C040),
    COUNT("C041", "Count_MeasurableImprovement", C041),
    PERCENT("C042", "Percentage_MeasurableImprovement", C041, C040),
    COUNT("C043", "Count_Deterioration", C043),
    PERCENT("C044", "Percentage_Deterioration", C043, C040),
    COUNT("C045", "Count_Recovered", C045),
    COUNT("C046", "Count_RecoveryEligible", C046),
    PERCENT("C047", "Percentage_Recovered", C045, C046),
    COUNT("C050", "Count_ClosedPairedGoals", C050),
    RULE("C051", "Mean_GoalMovement", MEAN_SIGNED, -1, -1, IAPT_CYP_D_GOAL, IAPT_CYP_GOAL_UNIT,
         false),
    COUNT("C052", "Count_ReliableGoalImprovement", C052),
    PERCENT("C053", "Percentage_ReliableGoalImprovement", C052, C050),
    RULE("C060", "Mean_WaitFirstContact", MEAN, -1, -1, IAPT_CYP_D_WAIT, 1, false),
    RULE("C061", "Median_WaitFirstContact", MEDIAN, -1, -1, IAPT_CYP_D_WAIT, 1, false),
    COUNT("C062", "Count_FirstContactWithin4Weeks", C062),
    PERCENT("C063", "Percentage_FirstContactWithin4Weeks", C062, C010),
};

/* The compact table's columns when the user names none. */
static const char *const s_headline[] = {"C001", "C010", "C012", "C013", "C022",
                                         "C033", "C042", "C051", "C061"};

/* ---------------------------------------------------------------------------
 * Tool table (config key cyp-tools)
 * ------------------------------------------------------------------------ */

#define S_DEFAULT_TOOLS "data/cyp-assessment-tools.csv"

static int
s_tools_load(const char *path, void **out)
{
    iapt_cyp_tools_t *t = malloc(sizeof *t);
    if (!t)
        return iapt_error_set(IAPT_ENOMEM, "CYP tool table: out of memory");
    int rc = iapt_cyp_tools_load(path ? path : S_DEFAULT_TOOLS, t);
    if (rc < 0) {
        free(t);
        return rc;
    }
    *out = t;
    return 0;
}

static void
s_tools_free(void *config)
{
    free(config);
}

static void
s_tools_sha256(const void *config, uint8_t out[32])
{
    const iapt_cyp_tools_t *t = config;
    if (!t || iapt_hex_decode(t->sha256_hex, out, 32) < 0)
        memset(out, 0, 32);
}

/* ---------------------------------------------------------------------------
 * Derivation
 * ------------------------------------------------------------------------ */

/* Referral ids seen in the submission (open addressing, keyed SipHash with
 * a random key: the auditor derives records the hub sent it). */
typedef struct {
    uint8_t (*slot)[16];
    bool *used;
    size_t cap, n;
    uint8_t key[crypto_shorthash_KEYBYTES];
} s_idset_t;

typedef struct {
    iapt_period_t period;
    const iapt_cyp_tools_t *tools;
    s_idset_t ids;
} s_state_t;

static size_t
s_idset_hash(const s_idset_t *set, const uint8_t id[16])
{
    uint8_t h[crypto_shorthash_BYTES];
    uint64_t v;
    crypto_shorthash(h, id, 16, set->key);
    memcpy(&v, h, sizeof v);
    return (size_t)v;
}

/* 1 added, 0 already there, IAPT_ENOMEM. */
static int
s_idset_add(s_idset_t *set, const uint8_t id[16])
{
    if ((set->n + 1) * 2 > set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 1024;
        uint8_t(*slot)[16] = malloc(cap * 16);
        bool *used = calloc(cap, 1);
        if (!slot || !used) {
            free(slot);
            free(used);
            return iapt_error_set(IAPT_ENOMEM, "CYP derive: out of memory");
        }
        for (size_t i = 0; i < set->cap; i++) {
            if (!set->used[i])
                continue;
            size_t j = s_idset_hash(set, set->slot[i]) & (cap - 1);
            while (used[j])
                j = (j + 1) & (cap - 1);
            memcpy(slot[j], set->slot[i], 16);
            used[j] = true;
        }
        free(set->slot);
        free(set->used);
        set->slot = slot;
        set->used = used;
        set->cap = cap;
    }
    size_t j = s_idset_hash(set, id) & (set->cap - 1);
    while (set->used[j]) {
        if (memcmp(set->slot[j], id, 16) == 0)
            return 0;
        j = (j + 1) & (set->cap - 1);
    }
    memcpy(set->slot[j], id, 16);
    set->used[j] = true;
    set->n++;
    return 1;
}

static void
s_derive_free(void *state)
{
    s_state_t *s = state;
    if (!s)
        return;
    free(s->ids.slot);
    free(s->ids.used);
    free(s);
}

static int
s_derive_open(const iapt_derive_context_t *ctx, void **state)
{
    if (!ctx || !ctx->period || !state)
        return iapt_error_set(IAPT_EUSAGE, "CYP derive: no period");
    if (!ctx->config)
        return iapt_error_set(IAPT_EUSAGE, "CYP derive: no tool table loaded (cyp-tools)");
    if (sodium_init() < 0)
        return iapt_error_set(IAPT_ECRYPTO, "CYP derive: libsodium does not initialise");
    s_state_t *s = calloc(1, sizeof *s);
    if (!s)
        return iapt_error_set(IAPT_ENOMEM, "CYP derive: out of memory");
    s->period = *ctx->period;
    s->tools = ctx->config;
    randombytes_buf(s->ids.key, sizeof s->ids.key);
    *state = s;
    return 0;
}

static int
s_derive_record(void *state, const uint8_t *bytes, size_t len, size_t index, iapt_emit_fn emit,
                void *arg)
{
    s_state_t *s = state;
    (void)index;
    Iapt__CypReferralRecord *rec = iapt__cyp_referral_record__unpack(NULL, len, bytes);
    if (!rec)
        return iapt_error_set(IAPT_EFORMAT, "does not decode as a CYP referral record");
    iapt_cyp_derived_t d;
    int rc = iapt_cyp_derive(rec, &s->period, s->tools, &d);
    if (rc == 0) {
        int added = s_idset_add(&s->ids, rec->pathway_id.data);
        if (added == 0)
            rc = iapt_error_set(IAPT_EFORMAT, "pathway_id: repeats another record's");
        else if (added < 0)
            rc = added;
    }
    if (rc == 0) {
        iapt_contribution_t c;
        memset(&c, 0, sizeof c);
        c.place = rec->commissioner;
        for (int b = 0; b < IAPT_CYP_BD_COUNT; b++)
            c.level[b] = d.level[b];
        iapt_cyp_contribute(&d, c.counter, c.has_value, c.value);
        rc = emit(arg, &c);
    }
    iapt__cyp_referral_record__free_unpacked(rec, NULL);
    return rc;
}

/* ---------------------------------------------------------------------------
 * Programme view
 * ------------------------------------------------------------------------ */

/* The cell of one group in a month, NULL when the month has no data. */
static const iapt_cell_t *
s_cell(const iapt_stats_t *st, int type, const char *code)
{
    if (!st)
        return NULL;
    const iapt_cell_t *c = iapt_stats_cell(st, type, code, 0);
    return c && !iapt_cell_empty(c) ? c : NULL;
}

static uint64_t
s_counter(const iapt_cell_t *c, int counter)
{
    return c ? iapt_cell_counter(c, (size_t)counter) : 0;
}

/* A count or percentage formatted by the engine's rules. */
static void
s_fmt(enum iapt_measure_kind kind, int64_t num, int64_t den, bool exact,
      char out[IAPT_MEASURE_TEXT_MAX])
{
    iapt_measure_value_t v = {kind, num, den, 1, -1, true};
    iapt_measure_format(&v, exact, out);
}

typedef struct {
    const iapt_view_input_t *in;
    const iapt_stats_t *month; /* the period's own month, or NULL */
    const iapt_stats_t *by_month[IAPT_CYP_GROWTH_MONTHS];
    bool accepted[IAPT_CYP_GROWTH_MONTHS];
    iapt_target_rows_t *t;
} s_view_t;

/* One value row: England (region NULL, code "all") or a region. */
static int
s_area_row(s_view_t *v, const char *view, const char *region, const char *label,
           const char *measure, const char *value)
{
    return iapt_target_rows_add_value(v->t, view, region ? "Region" : "England",
                                      region ? region : "all", label, measure, value);
}

/* Coverage lines of England (region NULL) or one region. */
static int
s_coverage(s_view_t *v, const char *region, const char *label)
{
    const iapt_geography_t *geo = v->in->geography;
    bool has = iapt_geography_has_column(geo, IAPT_CYP_POPULATION_COLUMN);
    int64_t pop = 0, covered = 0, num = 0, den = 0;
    bool exact = region == NULL || v->in->unsuppressed;
    for (size_t i = 0; i < iapt_geography_count(geo); i++) {
        const iapt_geo_area_t *a = iapt_geography_at(geo, i);
        if (region && strcmp(a->region_code, region) != 0)
            continue;
        int64_t p;
        iapt_geography_number(geo, a, IAPT_CYP_POPULATION_COLUMN, &p);
        bool cov = false;
        for (size_t k = 0; !cov && k < iapt_providers_count(v->in->providers); k++) {
            const iapt_provider_t *pr = iapt_providers_at(v->in->providers, k);
            cov = strcmp(pr->home_subicb, a->subicb_code) == 0 &&
                  s_cell(v->month, IAPT_GROUP_PROVIDER, pr->org_code);
        }
        iapt_cyp_area_subicb_t one = {p, cov};
        int64_t n1, d1;
        if (iapt_cyp_coverage(true, &one, 1, &n1, &d1)) {
            pop += d1;
            covered += n1;
        }
    }
    char a[IAPT_MEASURE_TEXT_MAX] = "", b[IAPT_MEASURE_TEXT_MAX] = "",
         c[IAPT_MEASURE_TEXT_MAX] = "";
    if (has) {
        iapt_cyp_area_subicb_t whole[2] = {{covered, true}, {pop - covered, false}};
        iapt_cyp_coverage(true, whole, 2, &num, &den);
        s_fmt(IAPT_MEASURE_COUNT, pop, 1, exact, a);
        s_fmt(IAPT_MEASURE_COUNT, covered, 1, exact, b);
        s_fmt(IAPT_MEASURE_PERCENT, num, den, exact, c);
    }
    int rc;
    if ((rc = s_area_row(v, "coverage", region, label, "Population_0_19", a)) < 0 ||
        (rc = s_area_row(v, "coverage", region, label, "Population_0_19_Covered", b)) < 0)
        return rc;
    return s_area_row(v, "coverage", region, label, "Percentage_Coverage", c);
}

/* Access-growth lines of England (region NULL) or one region. */
static int
s_growth(s_view_t *v, const char *region, const char *label)
{
    int64_t c011[IAPT_CYP_GROWTH_MONTHS], growth, recent, earlier;
    bool exact = region == NULL || v->in->unsuppressed;
    for (int i = 0; i < IAPT_CYP_GROWTH_MONTHS; i++)
        c011[i] = (int64_t)s_counter(
            s_cell(v->by_month[i], region ? IAPT_GROUP_REGION : IAPT_GROUP_ENGLAND, region),
            IAPT_CYP_C_C011);
    char a[IAPT_MEASURE_TEXT_MAX] = "", b[IAPT_MEASURE_TEXT_MAX] = "",
         c[IAPT_MEASURE_TEXT_MAX] = "";
    if (iapt_cyp_access_growth(c011, v->accepted, &growth, &recent, &earlier)) {
        s_fmt(IAPT_MEASURE_COUNT, recent, 1, exact, a);
        s_fmt(IAPT_MEASURE_COUNT, earlier, 1, exact, b);
        if (exact)
            snprintf(c, sizeof c, "%lld", (long long)growth);
        else if (recent < 5 || earlier < 5)
            strcpy(c, "*");
        else {
            /* The difference of the unrounded sums to the nearest 5, half
             * away from zero. */
            int64_t m = growth < 0 ? -growth : growth;
            m = (2 * m + 5) / 10 * 5;
            snprintf(c, sizeof c, "%lld", (long long)(growth < 0 ? -m : m));
        }
    }
    int rc;
    if ((rc = s_area_row(v, "access_growth", region, label, "Count_SecondContact12Months", a)) <
            0 ||
        (rc = s_area_row(v, "access_growth", region, label, "Count_SecondContactPrevious12Months",
                         b)) < 0)
        return rc;
    return s_area_row(v, "access_growth", region, label, "Count_AccessGrowth", c);
}

/* CWP-team lines of every provider of the period with TeamType CWP
 * referrals, by provider code. */
static int
s_cwp(s_view_t *v)
{
    if (!v->month)
        return 0;
    static const char *const one[] = {"C001"};
    iapt_stats_query_t q = {.group_types = IAPT_GROUP_BIT(IAPT_GROUP_PROVIDER),
                            .measure_ids = one,
                            .n_measure_ids = 1,
                            .unsuppressed = true};
    iapt_stat_rows_t *rows = NULL;
    int rc = iapt_stats_rows(v->month, &q, &rows);
    size_t n_cwp;
    const iapt_cyp_measure_t *cwp = iapt_cyp_cwp_measures(&n_cwp);
    bool exact = v->in->unsuppressed;
    for (size_t i = 0; rc == 0 && i < iapt_stat_rows_count(rows); i++) {
        const iapt_stat_row_t *r = iapt_stat_rows_get(rows, i);
        const iapt_cell_t *cell = s_cell(v->month, IAPT_GROUP_PROVIDER, r->org_code2);
        if (!cell || s_counter(cell, IAPT_CYP_C_CWP_REFERRALS) == 0)
            continue;
        /* The name the providers file gives ("" when it has none). */
        const iapt_provider_t *pr = iapt_providers_find(v->in->providers, r->org_code2);
        for (size_t m = 0; rc == 0 && m < n_cwp; m++) {
            char text[IAPT_MEASURE_TEXT_MAX];
            int64_t num = (int64_t)s_counter(cell, cwp[m].num);
            int64_t den = cwp[m].den >= 0 ? (int64_t)s_counter(cell, cwp[m].den) : 1;
            s_fmt((enum iapt_measure_kind)cwp[m].kind, num, den, exact, text);
            rc = iapt_target_rows_add_value(v->t, "cwp_teams", "Provider", r->org_code2,
                                            pr ? pr->org_name : "", cwp[m].id, text);
        }
    }
    iapt_stat_rows_destroy(&rows);
    return rc;
}

static int
s_code_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
iapt_cyp_programme_view(const iapt_view_input_t *in, iapt_target_rows_t **out)
{
    if (!in || !in->period || !out || (in->n_months && !in->months) || !in->geography)
        return iapt_error_set(IAPT_EUSAGE, "CYP programme view: missing argument");
    *out = NULL;
    s_view_t v;
    memset(&v, 0, sizeof v);
    v.in = in;
    iapt_period_t first;
    iapt_period_add(in->period, -(IAPT_CYP_GROWTH_MONTHS - 1), &first);
    uint32_t lo = iapt_period_key(&first);
    int with_data = 0;
    for (size_t i = 0; i < in->n_months; i++) {
        const iapt_stats_t *st = in->months[i];
        if (!st)
            continue;
        if (iapt_stats_breakdown(st) != 0)
            return iapt_error_set(IAPT_EUSAGE, "CYP programme view: a breakdown accumulator");
        const iapt_period_t *p = iapt_stats_period(st);
        /* Months from `first`: the key is YYYY*100+MM. */
        int k = (int)(p->year - first.year) * 12 + (int)p->month - (int)first.month;
        if (iapt_period_key(p) < lo || k < 0 || k >= IAPT_CYP_GROWTH_MONTHS)
            continue;
        if (v.by_month[k])
            return iapt_error_set(IAPT_EUSAGE, "CYP programme view: %s given twice", p->text);
        v.by_month[k] = st;
        v.accepted[k] = s_cell(st, IAPT_GROUP_ENGLAND, NULL) != NULL;
        with_data += v.accepted[k];
    }
    v.month = v.by_month[IAPT_CYP_GROWTH_MONTHS - 1];
    if (v.month && !v.accepted[IAPT_CYP_GROWTH_MONTHS - 1])
        v.month = NULL;
    if (!(v.t = iapt_target_rows_new(first.text, in->period->text, with_data)))
        return iapt_error_set(IAPT_ENOMEM, "CYP programme view: out of memory");

    /* Regions of the geography by code. */
    size_t n_geo = iapt_geography_count(in->geography), n_reg = 0;
    const char **codes = calloc(n_geo ? n_geo : 1, sizeof *codes);
    const char **names = calloc(n_geo ? n_geo : 1, sizeof *names);
    int rc = codes && names ? 0 : iapt_error_set(IAPT_ENOMEM, "CYP programme view: out of memory");
    for (size_t i = 0; rc == 0 && i < n_geo; i++) {
        const iapt_geo_area_t *a = iapt_geography_at(in->geography, i);
        bool seen = false;
        for (size_t j = 0; j < n_reg && !seen; j++)
            seen = strcmp(codes[j], a->region_code) == 0;
        if (!seen)
            codes[n_reg++] = a->region_code;
    }
    if (rc == 0 && n_reg)
        qsort(codes, n_reg, sizeof *codes, s_code_cmp);
    for (size_t j = 0; rc == 0 && j < n_reg; j++)
        for (size_t i = 0; i < n_geo; i++) {
            const iapt_geo_area_t *a = iapt_geography_at(in->geography, i);
            if (strcmp(a->region_code, codes[j]) == 0) {
                names[j] = a->region_name;
                break;
            }
        }

    if (rc == 0)
        rc = s_coverage(&v, NULL, "England");
    for (size_t j = 0; rc == 0 && j < n_reg; j++)
        rc = s_coverage(&v, codes[j], names[j]);
    if (rc == 0)
        rc = s_growth(&v, NULL, "England");
    for (size_t j = 0; rc == 0 && j < n_reg; j++)
        rc = s_growth(&v, codes[j], names[j]);
    if (rc == 0)
        rc = s_cwp(&v);
    free(codes);
    free(names);
    if (rc < 0) {
        iapt_target_rows_destroy(&v.t);
        return rc;
    }
    *out = v.t;
    return 0;
}

/* ---------------------------------------------------------------------------
 * The schema
 * ------------------------------------------------------------------------ */

const iapt_measure_schema_t iapt_cyp_measure_schema = {
    .n_counters = IAPT_CYP_C_COUNT,
    .counter_names = iapt_cyp_counter_name_table,
    .appear = IAPT_CYP_C_REFERRALS,
    .counter_bound = iapt_cyp_counter_bound_table,
    .n_dists = IAPT_CYP_D_COUNT,
    .dist_total = iapt_cyp_dist_total_table,
    .n_measures = sizeof s_rules / sizeof *s_rules,
    .measures = s_rules,
    .n_breakdowns = IAPT_CYP_BD_COUNT,
    .breakdowns = iapt_cyp_breakdown_table,
    .group_types = IAPT_GROUP_ALL,
    .placement = IAPT_PLACE_RECORD,
    .derive = {.open = s_derive_open,
               .record = s_derive_record,
               .close = NULL,
               .free = s_derive_free},
    .config = {.key = "cyp-tools",
               .default_file = S_DEFAULT_TOOLS,
               .load = s_tools_load,
               .free = s_tools_free,
               .sha256 = s_tools_sha256},
    .n_headline = sizeof s_headline / sizeof *s_headline,
    .headline = s_headline,
    .round_half_away = true,
    .view_months = IAPT_CYP_GROWTH_MONTHS,
    .view_needs_targets = false,
    .view = iapt_cyp_programme_view,
    .view_title = "programme",
};
