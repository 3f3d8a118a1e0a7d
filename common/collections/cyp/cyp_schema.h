/*
 * cyp_schema.h - the CYP collection's hub half (common/measure_schema.h):
 * its counters and distributions (cyp_measures.h), the catalogue C001-C063
 * as the engine's rules, the breakdowns, placement by the referral's
 * commissioner, the derivation hooks over serialized CypReferralRecords,
 * the tool table it loads (`cyp-tools`) and its programme view (coverage,
 * access growth, CWP teams; docs/CYP.md "Programme view", layout in
 * docs/FORMATS.md).
 *
 * Static, immutable data: thread-safe. Derivation states belong to the
 * engine (one per submission, one thread each).
 */
#ifndef IAPT_CYP_SCHEMA_H
#define IAPT_CYP_SCHEMA_H

#include "common/measure_schema.h"

/* The schema the CYP registry entry's `.hub` points at. */
extern const iapt_measure_schema_t iapt_cyp_measure_schema;

/* Its section of the national report (cyp_report.c, common/report.h). */
struct iapt_report_part;
extern const struct iapt_report_part iapt_cyp_report_part;

/* The geography file's optional column coverage reads. */
#define IAPT_CYP_POPULATION_COLUMN "population_0_19"

/* The programme view (the schema's `view` hook), for tests: one row per
 * value (iapt_target_rows_add_value: view part, group type, org code, org
 * name in `region`, measure, value), in the order of docs/FORMATS.md "CYP
 * programme view". 0, IAPT_EUSAGE, IAPT_ENOMEM. */
int iapt_cyp_programme_view(const iapt_view_input_t *in, struct iapt_target_rows **out /* out */);

#endif
