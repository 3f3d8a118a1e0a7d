/*
 * gate.h - the node's plausibility gate: what makes `iapt-node submit`
 * refuse a month before anything is signed (docs/EXTRACT-NOTES.md,
 * "Plausibility gate"), and the likely causes it can see in the files.
 *
 * Input: the extract's results (iapt_extract_t), the outbox's history
 * (iapt_gate_history_t, from iapt_gate_history_load) and the options.
 * Output: a list of findings, each a check id ("zero-records",
 * "rejected-share", "table-missing:IDS201", "table-rejected:IDS202",
 * "record-drop", "period-not-ended") and a message for a provider's data
 * manager; the tables checked and the nouns used are the extract's schema's
 * (node/schema.h: gate_needs, record_table, record_noun), the history
 * compared is the collection's (opt->collection); and whether an identical submission (same records
 * root, period and collection) is already delivered or pending.
 *
 * Diagnoses look at the files themselves (the extract need not have been
 * read): an .xlsx (ZIP) renamed .csv, bytes that are not UTF-8, a ';'
 * delimiter, dates written DD/MM/YYYY, file names in the wrong case.
 *
 * Ownership: results own their strings; free with the _free functions
 * (safe on zeroed structs and twice). No global state; not thread-bound.
 */
#ifndef IAPT_NODE_GATE_H
#define IAPT_NODE_GATE_H

#include "common/date.h"
#include "common/json.h"
#include "node/extract.h"
#include "node/outbox.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define IAPT_GATE_MAX_REJECTED_SHARE_DEFAULT 0.20

/* One delivered or pending outbox entry, as the gate needs it. */
typedef struct iapt_gate_past {
    uint64_t sequence;
    char period[8];
    char collection[16];
    int state; /* Iapt__OutboxState */
    uint64_t record_count;
    uint8_t records_root[32];
    uint8_t id[32];
} iapt_gate_past_t;

typedef struct iapt_gate_history {
    iapt_gate_past_t *past; /* ascending sequence */
    size_t n;
} iapt_gate_history_t;

/* Every entry of the outbox (refused ones left out). 0, or the outbox's
 * error; *h owned (iapt_gate_history_free). */
int iapt_gate_history_load(iapt_outbox_t *ob, iapt_gate_history_t *h /* out */);
void iapt_gate_history_free(iapt_gate_history_t *h);

typedef struct iapt_gate_options {
    const iapt_period_t *period;
    const char *collection;             /* NULL: IAPT_COLLECTION */
    int32_t today;                      /* day number (UTC) by the node's clock */
    double max_rejected_share;          /* 0..1; refused when the share is above it */
    const iapt_gate_history_t *history; /* NULL: no outbox (no drop or identity checks) */
    const uint8_t *records_root;        /* 32 bytes, or NULL: no identity check */
} iapt_gate_options_t;

typedef struct iapt_gate_finding {
    char *check;   /* e.g. "record-drop" */
    char *message; /* what is wrong and what to do */
} iapt_gate_finding_t;

enum iapt_gate_same { IAPT_GATE_NEW = 0, IAPT_GATE_SAME_DELIVERED, IAPT_GATE_SAME_PENDING };

typedef struct iapt_gate_result {
    iapt_gate_finding_t *finding;
    size_t n;
    enum iapt_gate_same same;         /* an identical submission exists */
    const iapt_gate_past_t *same_as;  /* points into opt->history */
    const iapt_gate_past_t *compared; /* the delivered one record-drop used, or NULL */
} iapt_gate_result_t;

/* Run every check. 0 (findings may be empty), IAPT_EUSAGE, IAPT_ENOMEM. */
int iapt_gate_run(const iapt_extract_t *ext, const iapt_gate_options_t *opt,
                  iapt_gate_result_t *res /* out, owned */);
void iapt_gate_result_free(iapt_gate_result_t *res);

/* "check: message" strings for the manifest's forced_checks: a malloc'd
 * array of n malloc'd strings (free with iapt_gate_strings_free). */
int iapt_gate_forced_checks(const iapt_gate_result_t *res, char ***out /* out, owned */);
void iapt_gate_strings_free(char **s, size_t n);

/* Parse a share "0.2" (0..1). 0 or IAPT_EUSAGE. */
int iapt_gate_share_parse(const char *text, double *out /* out */);

/* Records root of the records as iapt_outbox_prepare computes it. */
int iapt_gate_records_root(const iapt_extract_t *ext, uint8_t root[32] /* out */);

/* A likely cause seen in the files. */
typedef struct iapt_gate_diagnosis {
    char *file; /* the file as found in the directory */
    char *code; /* "zip", "not-utf8", "semicolon", "dd-mm-yyyy", "wrong-case" */
    char *message;
} iapt_gate_diagnosis_t;

typedef struct iapt_gate_diagnoses {
    iapt_gate_diagnosis_t *d;
    size_t n;
} iapt_gate_diagnoses_t;

/* Look at the files of schema sc (NULL: the default collection's) in dir.
 * An unreadable directory gives no diagnoses. 0 or IAPT_ENOMEM. */
int iapt_gate_diagnose(const char *dir, const struct iapt_extract_schema *sc,
                       iapt_gate_diagnoses_t *out /* out, owned */);
/* As above, for one file's bytes (name is what messages call it). */
int iapt_gate_diagnose_bytes(const char *name, const char *data, size_t len,
                             iapt_gate_diagnoses_t *out /* in/out: appended to */);
void iapt_gate_diagnoses_free(iapt_gate_diagnoses_t *d);

/* Text: "Likely causes" and the gate's findings (nothing when both are
 * empty). `forced` says the findings were overridden. 0 or IAPT_EIO. */
int iapt_gate_report_text(const iapt_gate_diagnoses_t *d, const iapt_gate_result_t *res,
                          bool forced, FILE *out);

/* Add to the JSON object obj the members "diagnoses":[{"file","code",
 * "message"}...] and, when res is given, "gate":[{"check","message"}...].
 * 0, or IAPT_ENOMEM (obj may then hold some of them). */
int iapt_gate_report_json_add(json_t *obj, const iapt_gate_diagnoses_t *d,
                              const iapt_gate_result_t *res);

#endif
