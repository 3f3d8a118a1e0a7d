/*
 * quality_json.h - a data-quality summary (proto/quality.proto) as JSON
 * members, the one layout shared by `iapt-node check --json` (the node's
 * report) and `iapt-query quality --format json` (the summary the hub holds).
 *
 * Ownership: the members are added to the caller's object; nothing is kept.
 * Errors: 0, or IAPT_ENOMEM (the object may then hold some members).
 * Threads: any; jansson values are not shared between threads.
 */
#ifndef IAPT_QUALITY_JSON_H
#define IAPT_QUALITY_JSON_H

#include "common/json.h"
#include "proto/quality.pb-c.h"

/* Returns the CSV file name of a table ("IDS101" -> "IDS101Referral.csv"),
 * or NULL when it has none. */
typedef const char *(*iapt_quality_file_fn)(const char *table);

/* Add to obj, in this order: referrals_in_extract, referrals_selected,
 * referrals_used, referrals_rejected, findings (integers), tables
 * ([{table, file?, rows, rejected, fields: [{field, valid, invalid,
 * missing}]}]; "file" only when file_of is given) and reasons ([{table,
 * field, reason, count}]). */
int iapt_quality_json_add(json_t *obj, const Iapt__QualitySummary *q,
                          iapt_quality_file_fn file_of /* may be NULL */);

#endif
