/* Fuzz target: a CYP referral record from arbitrary bytes through derivation
 * and a cell's counters (records come over the network: signed, but
 * untrusted). Beyond "no crash, no leak", an accepted record must keep the
 * nesting of docs/CYP.md's measures (C002 of C001, C013 of C012, ...) and
 * every measure but the median must have a value. */
#include "common/collections/cyp/cyp_derive.h"
#include "common/collections/cyp/cyp_measures.h"
#include "common/collections/cyp/cyp_tools.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* a <= b, else abort. */
static void
s_le(int64_t a, int64_t b)
{
    if (a > b)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char table[] = "code,name,kind,min,max,better,caseness,reliable_change\n"
                                "RCADS47C,RCADS,symptom,0,141,lower,50,14\n"
                                "ORS,Outcome Rating Scale,symptom,0,40,higher,28,5\n"
                                "GBO,Goal-based outcome,goal,0,10,higher,,2.45\n";
    iapt_cyp_tools_t tools;
    if (iapt_cyp_tools_parse(table, sizeof table - 1, "tools", &tools) < 0)
        abort();
    Iapt__CypReferralRecord *rec = iapt__cyp_referral_record__unpack(NULL, size, data);
    if (!rec)
        return 0;
    iapt_period_t period;
    iapt_period_make(2025, 2, &period); /* 28 days */
    iapt_cyp_derived_t d;
    if (iapt_cyp_derive(rec, &period, &tools, &d) == 0) {
        uint64_t c[IAPT_CYP_C_COUNT] = {0};
        bool has[IAPT_CYP_D_COUNT];
        int32_t value[IAPT_CYP_D_COUNT];
        int64_t sum[IAPT_CYP_D_COUNT] = {0};
        iapt_cyp_contribute(&d, c, has, value);
        if (c[IAPT_CYP_C_REFERRALS] != 1)
            abort();
        const int *bound = iapt_cyp_counter_bounds(), *total = iapt_cyp_dist_totals();
        for (int i = 0; i < IAPT_CYP_C_COUNT; i++)
            if (bound[i] >= 0)
                s_le((int64_t)c[i], (int64_t)c[bound[i]]);
        for (int k = 0; k < IAPT_CYP_D_COUNT; k++) {
            if (has[k] != (c[total[k]] == 1))
                abort();
            sum[k] = has[k] ? value[k] : 0;
        }
        s_le((int64_t)(c[IAPT_CYP_C_C002] + c[IAPT_CYP_C_C003] + c[IAPT_CYP_C_C004]),
             (int64_t)c[IAPT_CYP_C_C001]);
        s_le((int64_t)(c[IAPT_CYP_C_C012] + c[IAPT_CYP_C_C030]), 1);
        s_le((int64_t)(c[IAPT_CYP_C_C041] + c[IAPT_CYP_C_C043]), (int64_t)c[IAPT_CYP_C_C040]);
        if (d.n_series < 0 || d.n_series > IAPT_CYP_SERIES_MAX || d.paired_goal_series > 3)
            abort();
        for (int b = 0; b < IAPT_CYP_BD_COUNT; b++)
            s_le(d.level[b] + 1, (int64_t)iapt_cyp_breakdown_def(b)->n_levels);
        size_t n;
        const iapt_cyp_measure_t *m = iapt_cyp_measures(&n);
        for (size_t i = 0; i < n; i++) {
            int64_t num, den;
            int rc = iapt_cyp_measure_value(&m[i], c, sum, &num, &den);
            if ((rc == 0) == (m[i].kind == IAPT_CYP_MEASURE_MEDIAN))
                abort();
        }
    }
    iapt__cyp_referral_record__free_unpacked(rec, NULL);
    return 0;
}
