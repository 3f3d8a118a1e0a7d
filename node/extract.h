/*
 * extract.h - the provider's monthly extract: read the directory of CSV
 * files of one collection (its schema, node/schema.h; the adult collection's
 * IDS*.csv files of docs/EXTRACT.md by default), validate it
 * (docs/EXTRACT-NOTES.md), count its data quality (proto/quality.proto) and
 * turn every selected, valid row of its record table into one anonymised,
 * serialized record (for the adult collection one Iapt__PathwayRecord per
 * referral, proto/adult.proto, common/collections/adult/).
 *
 * The engine knows no collection: everything below that names a table or
 * field describes the adult collection's schema, which is the default.
 *
 * Two kinds of trouble, kept apart:
 *   - the extract as a whole cannot be submitted (a required file or column
 *     missing, a header that is not one row naming this organisation and
 *     period, a structural CSV error, more rows than the limits):
 *     iapt_extract_read returns IAPT_EREFUSED and the error detail says which
 *     file, line and why;
 *   - rows or values are wrong: the extract is read, the rows concerned are
 *     rejected or their values treated as invalid, and each problem is a
 *     finding in the data-quality report.
 *
 * Pseudonyms (16-byte keyed BLAKE2b, libsodium crypto_generichash, keyed by
 * the national pseudonymisation key; fields NUL-separated, and no field can
 * hold a NUL because the CSV reader refuses them):
 *   pathway_id = H("iapt/pathway/v1" 0x00 OrgIDProv 0x00 ServiceRequestId)
 *   person_id  = H("iapt/person/v1" 0x00 NHSNumber)            valid NHS number
 *              = H("iapt/person-local/v1" 0x00 OrgIDProv 0x00 LocalPatientId)
 * (node/anonymise.h computes them on their own.)
 *
 * Where docs/EXTRACT-NOTES.md is silent, this module decides:
 *   - Required columns are those of M and R fields; an O column may be
 *     absent (every value missing). A known column named twice refuses the
 *     extract. Blank lines before the header are skipped; an optional file
 *     with no header at all (empty) is an empty table, a required one refuses.
 *   - A ragged row's values all count as invalid, so for every field
 *     valid + invalid + missing = rows. Its ids take part in nothing.
 *   - Reasons beyond the listed ones: `bad-postcode` (Postcode); ids and
 *     references over 64 bytes are `too-long`; non-code syntax errors
 *     (NHSNumber not 10 digits, SNOMED codes, PersScore) are `bad-number`;
 *     code lists and code patterns (OrgIDComm, PresComp) `unknown-code`.
 *     A PersScore whose value x 100 does not fit a sint32 is `bad-number`.
 *   - Field findings (invalid values, future-date, out-of-range) are made
 *     for every row, rejected or not; findings that compare rows
 *     (before-referral, after-discharge, discharge-before-referral,
 *     birth-after-referral) only for rows that are used, against the
 *     discharge date as written (even one after the period end). IDS607
 *     rows take no before-referral finding: their date is their
 *     appointment's, which has its own. birth-after-referral sits on the
 *     referral's ReferralRequestReceivedDate.
 *   - future-date applies to every date of the data tables (not the
 *     header's period dates); "after" means a later day.
 *   - referrals_selected counts IDS101 rows whose dates make them open in
 *     the period, rejected or not (a row without a valid received date is
 *     not selected); referrals_used counts the records.
 *   - An invalid Postcode gives no IMD decile (invalid values match no list).
 *   - Finding values: identifying fields keep their first two characters
 *     and a '*' (just "*" when under six characters); others are cut at 64
 *     bytes; control characters become '?'. Reason counts are ordered by
 *     table (EXTRACT.md order), field (table order, "*" first), reason.
 *
 * Ownership: iapt_extract_read returns an owned iapt_extract_t; every pointer
 * inside it (records, quality summary, findings and their strings) belongs
 * to it and lives until iapt_extract_destroy. Nothing here keeps global
 * state; separate extracts may be read on separate threads once
 * iapt_crypto_init() has returned.
 */
#ifndef IAPT_NODE_EXTRACT_H
#define IAPT_NODE_EXTRACT_H

#include "common/json.h"
#include "common/csv.h"
#include "common/date.h"
#include "common/keys.h"
#include "common/tools.h"
#include "proto/quality.pb-c.h"

struct iapt_extract_schema;
struct iapt_collection;

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Rows one extract may hold across all its files unless the options say
 * otherwise; with the per-file CSV limit it bounds memory (about 200 bytes a
 * row) whatever a file claims. */
#define IAPT_EXTRACT_MAX_ROWS_DEFAULT 16000000ULL
/* Rows (header included) one file may hold unless the options say otherwise. */
#define IAPT_EXTRACT_MAX_FILE_ROWS_DEFAULT 8000000ULL
/* Findings listed (each is counted whatever the limit) unless the options
 * say otherwise: about 250 MB at most. */
#define IAPT_EXTRACT_MAX_FINDINGS_DEFAULT 2000000

typedef struct iapt_extract_options {
    const struct iapt_extract_schema *schema; /* the collection's tables and rules (borrowed);
                                                 NULL: the default collection's */
    /* The collections asked, when the schema's header file is missing,
     * whether the directory holds one of theirs (the refusal then names
     * it); NULL: every registered collection (common/collection.h). */
    const struct iapt_collection *const *collections;
    size_t n_collections;
    const char *dir;                 /* directory of the extract's files (iapt_extract_read) */
    const iapt_period_t *period;     /* the reporting period the extract is for */
    const char *org;                 /* this node's organisation: OrgIDProv must equal it */
    const iapt_pseudokey_t *key;     /* national pseudonymisation key */
    const char *imd_path;            /* postcode_prefix,imd_decile CSV, or NULL for none */
    const struct iapt_imd *imd;      /* a lookup already loaded (node/anonymise.h), used
                                        instead of imd_path; borrowed, not freed */
    const iapt_tools_t *tools;       /* for out-of-range findings; NULL: iapt_tools_default */
    const void *coll_tools;          /* the schema's own tool table (schema->tools.load),
                                        required by such a schema; borrowed */
    int32_t today;                   /* day number: the future-date limit when the header
                                        has no valid DateTimeDatSetCreate */
    const iapt_csv_limits_t *limits; /* per-file CSV limits; NULL: the reader's defaults with
                                        max_rows IAPT_EXTRACT_MAX_FILE_ROWS_DEFAULT */
    uint64_t max_rows;               /* data rows in all files together; 0: the default */
    size_t max_findings;             /* findings listed (all are counted); 0: the default */
} iapt_extract_options_t;

/* One row-level problem. Strings are static or owned by the extract. */
typedef struct iapt_finding {
    const char *file;   /* e.g. "IDS101Referral.csv" */
    const char *table;  /* e.g. "IDS101Referral" */
    const char *field;  /* the field's name, or "*" for the whole row */
    uint64_t line;      /* physical line where the row starts (header is line 1) */
    const char *reason; /* e.g. "missing", "unknown-code", "orphan", "future-date" */
    const char *value;  /* the value as written, masked when identifying
                           ("94*"), cut at 64 bytes; "" when none */
    const char *detail; /* a sentence for people (never a raw identifying value), or "" */
    bool rejects;       /* true when this problem rejects the row */
} iapt_finding_t;

typedef struct iapt_extract_mem iapt_extract_mem_t;

typedef struct iapt_extract {
    const struct iapt_extract_schema *schema; /* what it was read with (static) */
    char org[IAPT_ORG_MAX];                   /* OrgIDProv */
    char period[8];                           /* "YYYY-MM" */
    size_t n_records;
    uint8_t **record; /* serialized records, sorted by their ids (pathway_id) */
    size_t *record_len;
    Iapt__QualitySummary *quality; /* the data-quality summary */
    size_t n_findings;
    iapt_finding_t *findings;     /* in file order (EXTRACT.md table order), then line */
    uint64_t findings_not_listed; /* counted in quality but over the listing limit
                                     (the last ones found are the ones left out) */
    uint32_t tables_present;      /* bit i: table i of quality->tables (the schema's
                                     order) had a file with a header row */
    iapt_extract_mem_t *mem;      /* private: what the pointers above point into */
} iapt_extract_t;

/* File name of the default (adult) collection's table i in EXTRACT.md
 * order ("IDS000Header.csv", ...), NULL past the last; table name likewise. */
const char *iapt_extract_file_name(size_t i);
const char *iapt_extract_table_name(size_t i);

/* The same for schema s (NULL: the default collection's). */
const char *iapt_schema_file_name(const struct iapt_extract_schema *s, size_t i);
const char *iapt_schema_table_name(const struct iapt_extract_schema *s, size_t i);

/* The default collection's schema (the adult one). */
const struct iapt_extract_schema *iapt_extract_schema_default(void);

/* The tool table of a collection, in whichever format its schema has. */
typedef struct iapt_extract_tools {
    iapt_tools_t adult; /* the adult format's table (built in when no file is given) */
    void *own;          /* the schema's own table (schema->tools.load), NULL for the
                           adult format */
    const struct iapt_extract_schema *schema; /* whose .tools.free frees `own` */
    char sha256_hex[65]; /* SHA-256 of the own table's file, lower-case hex; "" for
                            the adult format (its hash is not carried) */
} iapt_extract_tools_t;

/* Load schema s's tool table from `path` (NULL: the adult built-in table,
 * or the schema's tools.default_file). 0, or the loader's error with the
 * detail naming the file and line (IAPT_EFORMAT, IAPT_ELIMIT,
 * IAPT_ENOTFOUND, IAPT_EIO), IAPT_EUSAGE when the schema needs a file and
 * has no default. Free with iapt_extract_tools_free; pass .adult as
 * options.tools and .own as options.coll_tools. */
int iapt_extract_tools_load(const struct iapt_extract_schema *s, const char *path,
                            iapt_extract_tools_t *out /* out */);
void iapt_extract_tools_free(iapt_extract_tools_t *t);

/* Read, validate and anonymise the extract in opt->dir.
 * Returns 0 and *out (owned); IAPT_EREFUSED with "FILE[:LINE]: reason" in
 * the error detail when the extract as a whole cannot be submitted (when
 * the schema's header file is missing but another collection's is there,
 * the reason names that collection and the --collection to pass);
 * IAPT_EUSAGE for bad options; IAPT_EFORMAT when the IMD lookup file is
 * malformed; IAPT_EIO, IAPT_ENOMEM. Findings never make it fail. */
int iapt_extract_read(const iapt_extract_options_t *opt, iapt_extract_t **out /* out, owned */);

/* One table's file held in memory (for tests, fuzzing and callers that
 * already have the bytes). */
typedef struct iapt_extract_file {
    const char *table; /* table name without ".csv", e.g. "IDS101Referral" */
    const char *data;  /* file bytes, not copied; need not be NUL-terminated */
    size_t len;
} iapt_extract_file_t;

/* As iapt_extract_read, from memory: a table not among `files` is absent
 * (opt->dir is not used). A table given twice, or a name that is not a
 * table, is IAPT_EUSAGE. */
int iapt_extract_read_mem(const iapt_extract_options_t *opt, const iapt_extract_file_t *files,
                          size_t n_files, iapt_extract_t **out /* out, owned */);

/* Free the extract and everything it owns; sets *ext_p to NULL. Safe on
 * NULL and twice. */
void iapt_extract_destroy(iapt_extract_t **ext_p);

/* The report for people: totals, a table per file and field, findings by
 * reason, then at most `max_findings` findings ("... and N more").
 * 0 or IAPT_EIO (write failed). */
int iapt_extract_report_text(const iapt_extract_t *ext, size_t max_findings, FILE *out);

/* Everything as one JSON object (findings included). 0 or IAPT_EIO. */
int iapt_extract_report_json(const iapt_extract_t *ext, FILE *out);

/* The same object, for a caller that adds members before writing it: a new
 * jansson reference (the caller json_decref()s it), NULL when out of
 * memory. */
json_t *iapt_extract_report_json_new(const iapt_extract_t *ext);

/* For an extract that cannot be submitted: the JSON object
 * {"submittable":false,"error":REASON}. 0 or IAPT_EIO. */
int iapt_extract_report_refused_json(const char *reason, FILE *out);

/* That object as a new reference, NULL when out of memory. */
json_t *iapt_extract_report_refused_json_new(const char *reason);

/* `iapt-node check`: argv[0] is the subcommand's name ("check"), options
 * follow; see its --help. Prints the report on stdout and reasons on stderr.
 * Returns the exit status: 0 the extract can be submitted (findings allowed),
 * 1 it cannot (the reason is printed), 2 usage or configuration error. */
int iapt_node_check_main(int argc, char **argv);

#endif
