/*
 * schema.h - the node half of a collection (common/collection.h): what the
 * generic extract engine (node/extract.h) needs to know of one collection's
 * monthly export, as data, and the few hooks for what data cannot say.
 *
 * A collection describes
 *   - its tables in report order (name, file, required) and each table's
 *     fields (name, kind, need M/R/O, code list, referenced table,
 *     identifying): the engine reads the files, maps columns, checks every
 *     value by its kind, finds duplicate ids, resolves references and
 *     cascades rejections (a row naming a missing or rejected row is an
 *     orphan) in `cascade` order, makes the field findings and counts the
 *     data quality, all without knowing the collection;
 *   - its header table and which of its fields are the organisation, the
 *     period's first and last day and the export's creation time: the
 *     engine refuses an extract whose header is not exactly one row naming
 *     the node's organisation and the period;
 *   - the record table (the rows that may become records, whose counts are
 *     the summary's referrals_* numbers) and its selection rule;
 *   - hooks: extra rules on one row once its fields are checked, rules
 *     across rows once a row's reference is resolved, and building the
 *     anonymised, serialized records (pseudonyms, day numbers, bands);
 *   - reasons of its own beyond the engine's (IAPT_XR_*), by name;
 *   - the gate's requirements (tables the measures need) and the nouns its
 *     messages use;
 *   - the configuration key of its assessment-tool table.
 *
 * Hooks see the engine's state through the iapt_xctx_* functions below and
 * the rows (iapt_xrow_t) of each table. Everything here is static,
 * immutable data: schemas are shared by every thread; the hooks run on the
 * thread reading the extract and keep no global state.
 */
#ifndef IAPT_NODE_SCHEMA_H
#define IAPT_NODE_SCHEMA_H

#include "common/date.h"
#include "common/keys.h"
#include "common/tools.h"
#include "common/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IAPT_SCHEMA_MAX_TABLES 16 /* tables of one collection */
#define IAPT_SCHEMA_MAX_FIELDS 12 /* fields of its widest table */
#define IAPT_SCHEMA_MAX_REASONS 8 /* reasons a collection adds */
#define IAPT_XID_MAX 64           /* bytes in an id or reference */
#define IAPT_XNONE UINT32_MAX     /* no row */

/* How a field is checked (docs/EXTRACT-NOTES.md "Field validity"). */
enum iapt_xkind {
    IAPT_XK_TEXT,      /* anything (missing when empty) */
    IAPT_XK_ID,        /* the table's own id: non-empty, <= 64 bytes, unique */
    IAPT_XK_REF,       /* id of a row of another table that is not rejected; M: an
                          orphan rejects the row, R or O: an orphan is a finding and
                          the value counts as invalid (such a reference may name a
                          row of its own table) */
    IAPT_XK_DATE,      /* YYYY-MM-DD naming a real day */
    IAPT_XK_TIMESTAMP, /* date, or date and time */
    IAPT_XK_CODE,      /* one of a list, exactly */
    IAPT_XK_NHS,       /* 10 digits passing modulus 11 */
    IAPT_XK_POSTCODE,  /* a UK postcode after normalising */
    IAPT_XK_ORG,       /* 3 to 5 of [A-Z0-9] */
    IAPT_XK_ICD,       /* [A-Z][0-9]{2}[0-9A-Z]{0,2} */
    IAPT_XK_SNOMED,    /* 6 to 18 digits */
    IAPT_XK_SCORE,     /* -?[0-9]+(\.[0-9]{1,2})?, kept x 100 */
    IAPT_XK_INTEGER,   /* -?[0-9]+ fitting 32 bits (ranges are the collection's rule) */
};

/* M: missing or invalid rejects the row; R: required column, a missing
 * value is kept (IAPT_XK_NHS reports it); O: the column may be absent. */
enum iapt_xneed { IAPT_XN_M, IAPT_XN_R, IAPT_XN_O };

typedef struct iapt_xfield {
    const char *name;
    enum iapt_xkind kind;
    enum iapt_xneed need;
    const char *const *codes; /* IAPT_XK_CODE: NULL-terminated list */
    int ref;                  /* IAPT_XK_REF: index of the table referred to */
    bool identifying;         /* masked in findings */
} iapt_xfield_t;

typedef struct iapt_xtable {
    const char *name; /* "IDS101Referral" */
    const char *file; /* "IDS101Referral.csv" */
    bool required;    /* the file must be present */
    int nfields;
    iapt_xfield_t field[IAPT_SCHEMA_MAX_FIELDS];
} iapt_xtable_t;

/* The engine's reasons, in alphabetical order. A collection's own reasons
 * (schema->reasons[i]) are IAPT_XR_COUNT + i; reason counts are listed in
 * alphabetical order of all names together. */
enum iapt_xreason {
    IAPT_XR_BAD_DATE,
    IAPT_XR_BAD_NUMBER,
    IAPT_XR_BAD_POSTCODE,
    IAPT_XR_DUPLICATE_ID,
    IAPT_XR_FUTURE_DATE,
    IAPT_XR_MISSING,
    IAPT_XR_NHS_CHECK_DIGIT,
    IAPT_XR_ORPHAN,
    IAPT_XR_OUT_OF_RANGE,
    IAPT_XR_RAGGED_ROW,
    IAPT_XR_TOO_LONG,
    IAPT_XR_UNKNOWN_CODE,
    IAPT_XR_COUNT
};

/* The final state of one value, as the quality summary counts it. */
enum iapt_xstatus { IAPT_XS_MISSING = 0, IAPT_XS_VALID = 1, IAPT_XS_INVALID = 2 };

/* A checked value: text (.s: ids and references, a valid code as its list
 * entry, "?" for an invalid coded value, an ORG or ICD code, a valid NHS
 * number, a normalised postcode, text; NULL otherwise) or a number (.n: day
 * numbers, SNOMED codes, scores x 100, integers), never both. */
typedef union iapt_xvalue {
    const char *s;
    int64_t n;
} iapt_xvalue_t;

/* One data row as the engine keeps it. */
typedef struct iapt_xrow {
    uint64_t line; /* physical line where the row starts */
    iapt_xvalue_t v[IAPT_SCHEMA_MAX_FIELDS];
    uint32_t parent;                        /* resolved reference, IAPT_XNONE when none */
    uint8_t status[IAPT_SCHEMA_MAX_FIELDS]; /* enum iapt_xstatus */
    bool rejected;
    bool ragged;
    bool duplicate;
} iapt_xrow_t;

/* The engine's state while one extract is read (opaque). */
typedef struct xt_ctx iapt_xctx_t;

/* Valid, non-rejected rows grouped under their parent rows, in file
 * order: the children of parent p are items[off[p] .. off[p + 1]). */
typedef struct iapt_xgroup {
    uint32_t *off;
    uint32_t *items;
} iapt_xgroup_t;

/* One requirement of the gate: the tables the measures need. With one
 * table: "table-missing:CODE" when it is absent or empty, and
 * "table-rejected:CODE" when every row is rejected, the messages saying
 * `why`. With several: the same checks over all of them together (rows
 * summed), the messages saying `what` rows they are and `why`. */
typedef struct iapt_gate_need {
    const char *code; /* "IDS201", "IDS606+IDS607" */
    int tables[4];
    int n_tables;
    const char *what;        /* several: "score" ("every score row of ...") */
    const char *why_missing; /* the message's reason when absent or empty */
    const char *why_rejected;
} iapt_gate_need_t;

/* A collection whose assessment-tool table has a format of its own (CYP's)
 * loads, frees and hashes it itself; the engine hands the loaded table to
 * the hooks (iapt_xctx_coll_tools) and refuses to read an extract of such a
 * collection without one. All NULL: the adult format (common/tools.h, the
 * options' .tools). */
typedef struct iapt_xtools_hooks {
    /* The file used when none is configured (relative to the current
     * directory); NULL: a file must be configured. */
    const char *default_file;
    /* Load the file: 0 and *out (owned, free with .free), or IAPT_EFORMAT /
     * IAPT_ELIMIT naming the file and line, IAPT_ENOTFOUND, IAPT_EIO. */
    int (*load)(const char *path, void **out /* out, owned */);
    void (*free)(void *tools);
    /* SHA-256 of the file's bytes, lower-case hex (static in the table). */
    const char *(*sha256_hex)(const void *tools);
} iapt_xtools_hooks_t;

typedef struct iapt_extract_schema {
    int n_tables;
    const iapt_xtable_t *tables; /* in report order */
    /* Order in which references are resolved (a table after every table it
     * refers to); NULL: table order. */
    const int *cascade;
    int n_cascade;

    int header_table;   /* exactly one row */
    int header_org;     /* field that must equal the node's org */
    int header_start;   /* the period's first day */
    int header_end;     /* the period's last day */
    int header_created; /* the future-date limit when valid; -1 none */

    int record_table;          /* the rows that may become records */
    const char *record_noun;   /* "referral", for messages */
    const char *record_plural; /* "referrals" */

    /* Reasons of the collection's own, NULL-terminated, at most
     * IAPT_SCHEMA_MAX_REASONS: reason IAPT_XR_COUNT + i is reasons[i]. */
    const char *const *reasons;

    /* After the fields of a row of table t are checked (cells as written,
     * trimmed; NULL for an absent column): findings only this collection
     * makes. NULL: none. 0 or IAPT_ENOMEM. */
    int (*row_rule)(iapt_xctx_t *x, int t, iapt_xrow_t *row, const char *const *cell,
                    const size_t *len);
    /* Once a row of table t that is not rejected has its parent resolved
     * (row->parent), in cascade order: findings comparing rows. NULL:
     * none. 0 or IAPT_ENOMEM. */
    int (*resolved_rule)(iapt_xctx_t *x, int t, const iapt_xrow_t *row);
    /* Whether a row of the record table (not ragged) is selected for the
     * period, rejected or not. NULL: every row. */
    bool (*selected)(const iapt_xctx_t *x, const iapt_xrow_t *row);
    /* Build the records: for every selected, non-rejected row of the
     * record table, in file order, call iapt_xctx_record_add. 0 or an
     * error (IAPT_ENOMEM, IAPT_ECRYPTO). */
    int (*build_records)(iapt_xctx_t *x);

    /* The gate's requirements. */
    const iapt_gate_need_t *gate_needs;
    int n_gate_needs;

    /* node.conf key of the collection's assessment-tool table ("tools"),
     * NULL when it has none. */
    const char *tools_key;
    /* Its own tool-table format; zero: the adult one. */
    iapt_xtools_hooks_t tools;
} iapt_extract_schema_t;

/* ---- what hooks may ask of the engine ---- */

/* Rows of table t (*n receives their number). */
const iapt_xrow_t *iapt_xctx_rows(const iapt_xctx_t *x, int t, uint32_t *n /* out */);
const iapt_period_t *iapt_xctx_period(const iapt_xctx_t *x);
const char *iapt_xctx_org(const iapt_xctx_t *x);
const iapt_pseudokey_t *iapt_xctx_key(const iapt_xctx_t *x);
const iapt_tools_t *iapt_xctx_tools(const iapt_xctx_t *x);
/* The collection's own tool table (schema->tools.load's), NULL for a
 * collection of the adult format. */
const void *iapt_xctx_coll_tools(const iapt_xctx_t *x);
/* The IMD lookup (node/anonymise.h), NULL when none. */
const struct iapt_imd *iapt_xctx_imd(const iapt_xctx_t *x);
const iapt_extract_schema_t *iapt_xctx_schema(const iapt_xctx_t *x);

/* Record a finding on row r (NULL for none) of table t, field f (-1 for
 * the whole row), reason an enum iapt_xreason or IAPT_XR_COUNT + i.
 * `value` (len bytes, may be NULL) is masked for identifying fields and
 * cut at 64 bytes; `detail` is printf text. 0 or IAPT_ENOMEM. */
int iapt_xctx_finding(iapt_xctx_t *x, int t, int f, const iapt_xrow_t *r, int reason,
                      const char *value, size_t len, bool rejects, const char *detail, ...)
    __attribute__((format(printf, 9, 10)));

/* Group the non-rejected rows of table `child` (which refers to `parent`)
 * under their parents. 0 or IAPT_ENOMEM; free with iapt_xgroup_free. */
int iapt_xgroup_build(const iapt_xctx_t *x, int child, int parent, iapt_xgroup_t *g /* out */);
void iapt_xgroup_free(iapt_xgroup_t *g);

/* Add one serialized record (copied) with its 16-byte id; the engine
 * sorts the records by id. 0 or IAPT_ENOMEM. */
int iapt_xctx_record_add(iapt_xctx_t *x, const uint8_t id[16], const uint8_t *data, size_t len);

/* Index of the table named `name` (without ".csv") in schema s, or -1. */
int iapt_schema_table_find(const iapt_extract_schema_t *s, const char *name);

/* Check a schema's data: field counts, references to earlier tables in
 * cascade order, header fields. 0, or IAPT_EUSAGE naming what is wrong. */
int iapt_extract_schema_check(const iapt_extract_schema_t *s);

#endif
