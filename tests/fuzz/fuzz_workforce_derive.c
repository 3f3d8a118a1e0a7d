/* Fuzz target: a workforce record from arbitrary bytes through derivation,
 * counters, the supervisor accounting and formatting (records come over
 * the network: signed, but untrusted). An accepted record must satisfy the
 * derivation's own invariants: eligibility implies clinical, in post all
 * period and WTE >= 0.50; met implies eligible; weeks met never exceed
 * the full weeks; levels lie inside their breakdowns. */
#include "common/collections/workforce/workforce_derive.h"
#include "common/collections/workforce/workforce_measures.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
s_levels_ok(const int *level)
{
    for (int b = 0; b < IAPT_WF_BREAKDOWN_COUNT; b++)
        if (level[b] < 0 || (size_t)level[b] >= iapt_wf_breakdown_def(b)->n_levels)
            abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    iapt_period_t period;
    iapt_period_make(2026, 2, &period); /* 28 days, three full weeks */
    Iapt__WfRecord *rec = iapt__wf_record__unpack(NULL, size, data);
    if (!rec)
        return 0;
    iapt_wf_item_t item;
    if (iapt_wf_derive(rec, &period, &item) == 0) {
        uint64_t c[IAPT_WF_C_COUNT] = {0};
        if (item.is_staff) {
            const iapt_wf_derived_t *d = &item.staff;
            if (d->supervision_eligible &&
                (!d->clinical || !d->in_post_all || d->wte_x100 < IAPT_WF_ELIGIBLE_WTE_X100))
                abort();
            if (d->weekly_supervision_met && !d->supervision_eligible)
                abort();
            if (d->weeks_met > d->full_weeks || d->full_weeks != 3)
                abort();
            if (d->in_post_all && !d->in_post_end)
                abort();
            s_levels_ok(d->level);
            iapt_wf_add_staff(c, d);
            iapt_wf_supervisors_t *s = NULL;
            iapt_wf_supervision_counts_t sc;
            if (iapt_wf_supervisors_new(&s) != 0 || iapt_wf_supervisors_add(s, d) != 0)
                abort();
            int rc = iapt_wf_supervisors_finish(s, &sc);
            iapt_wf_supervisors_free(s);
            /* Alone, a supervisor pseudonym names a staff record only when it
             * is the member's own; otherwise finish refuses (IAPT_EFORMAT). */
            if (rc == 0)
                iapt_wf_add_supervision(c, &sc);
        } else {
            s_levels_ok(item.vacancy.level);
            iapt_wf_add_vacancy(c, &item.vacancy);
        }
        size_t n;
        const iapt_wf_rule_t *rules = iapt_wf_rules(&n);
        for (size_t i = 0; i < n; i++) {
            iapt_wf_value_t v;
            char out[IAPT_WF_TEXT_MAX];
            iapt_wf_value(&rules[i], c, &v);
            iapt_wf_format(&v, true, out);
            iapt_wf_format(&v, false, out);
        }
    }
    iapt__wf_record__free_unpacked(rec, NULL);
    return 0;
}
