/*
 * extract_internal.h - what the extract modules share and nobody else uses:
 * the description of every table and field, rows as read, the id maps, the
 * finding list and the small arena they live in.
 *
 *   node/extract.c    reading files, the header check, the read entry points
 *   node/validate.c   field validity, duplicates, the rejection cascade and
 *                     the date findings (docs/EXTRACT-NOTES.md)
 *   node/anonymise.c  pseudonyms, age bands, IMD lookup, building records
 *   node/quality.c    the quality summary, masking, text and JSON reports
 *
 * Internal names start with xt_. Row and table indexes are uint32_t: the row
 * limits keep every count below XT_NONE.
 */
#ifndef IAPT_NODE_EXTRACT_INTERNAL_H
#define IAPT_NODE_EXTRACT_INTERNAL_H

#include "node/anonymise.h"
#include "node/extract.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XT_MAX_FIELDS 7    /* the widest table, IDS101Referral */
#define XT_ID_MAX 64       /* bytes in an id (EXTRACT-NOTES "at most 64 bytes") */
#define XT_NONE UINT32_MAX /* no row */
#define XT_VALUE_MAX 64    /* bytes of a value kept in a finding */

/* Tables in EXTRACT.md order, which is also the report's order. */
enum xt_table {
    XT_HEADER,
    XT_MPI,
    XT_REFERRAL,
    XT_CONTACT,
    XT_ACTIVITY,
    XT_PROBLEM,
    XT_SCORE_REF,
    XT_SCORE_ACT,
    XT_EMPLOY,
    XT_LTC,
    XT_NTABLES
};

/* Field positions within each table's description (and row arrays). */
enum { XF_HDR_ORG, XF_HDR_START, XF_HDR_END, XF_HDR_CREATED, XF_HDR_SYSTEM };
enum { XF_MPI_ID, XF_MPI_NHS, XF_MPI_BIRTH, XF_MPI_POSTCODE, XF_MPI_GENDER, XF_MPI_ETHNIC };
enum {
    XF_REF_ID,
    XF_REF_PATIENT,
    XF_REF_COMM,
    XF_REF_RECEIVED,
    XF_REF_SOURCE,
    XF_REF_DISCH,
    XF_REF_END
};
enum { XF_CON_ID, XF_CON_REF, XF_CON_DATE, XF_CON_APPTYPE, XF_CON_ATTEND, XF_CON_MECH };
enum { XF_ACT_ID, XF_ACT_CONTACT, XF_ACT_CODE };
enum { XF_PRB_REF, XF_PRB_CODE, XF_PRB_SIG, XF_PRB_DATE };
enum { XF_S06_REF, XF_S06_TOOL, XF_S06_SCORE, XF_S06_DATE };
enum { XF_S07_ACT, XF_S07_TOOL, XF_S07_SCORE };
enum { XF_EMP_PATIENT, XF_EMP_DATE, XF_EMP_STATUS, XF_EMP_SSP, XF_EMP_BEN };
enum { XF_LTC_PATIENT, XF_LTC_CODE };

/* How a field is checked. */
enum xt_kind {
    XK_TEXT,      /* anything (missing when empty) */
    XK_ID,        /* the table's own id: non-empty, <= 64 bytes, unique */
    XK_REF,       /* id of a row of another table that is not rejected */
    XK_DATE,      /* YYYY-MM-DD naming a real day */
    XK_TIMESTAMP, /* date, or date and time */
    XK_CODE,      /* one of a list, exactly */
    XK_NHS,       /* 10 digits passing modulus 11 */
    XK_POSTCODE,  /* a UK postcode after normalising */
    XK_ORG,       /* 3 to 5 of [A-Z0-9] */
    XK_ICD,       /* [A-Z][0-9]{2}[0-9A-Z]{0,2} */
    XK_SNOMED,    /* 6 to 18 digits */
    XK_SCORE,     /* -?[0-9]+(\.[0-9]{1,2})? */
};

enum xt_need { XN_M, XN_R, XN_O };

typedef struct xt_field {
    const char *name;
    enum xt_kind kind;
    enum xt_need need;
    const char *const *codes; /* XK_CODE: NULL-terminated list */
    enum xt_table ref;        /* XK_REF: the table referred to */
    bool identifying;         /* masked in findings */
} xt_field_t;

typedef struct xt_table_desc {
    const char *name; /* "IDS101Referral" */
    const char *file; /* "IDS101Referral.csv" */
    bool required;    /* the file must be present */
    int nfields;
    xt_field_t field[XT_MAX_FIELDS];
} xt_table_desc_t;

extern const xt_table_desc_t xt_tables[XT_NTABLES];

/* Index of a table by name (without ".csv"), or -1. */
int xt_table_find(const char *name);

/* The final state of one value, as the quality summary counts it. */
enum xt_status { XS_MISSING = 0, XS_VALID = 1, XS_INVALID = 2 };

/* What later steps need of one value. A field is either text (.s: ids and
 * references as arena copies, a valid code as its static list entry, "?"
 * for an invalid coded optional value, OrgIDComm, PresComp, a valid NHS
 * number, a normalised postcode; NULL otherwise) or a number (.n: day
 * numbers, SNOMED codes, scores x 100 of valid values), never both. */
typedef union xt_value {
    const char *s;
    int64_t n;
} xt_value_t;

/* One data row (kept small: an extract holds millions). */
typedef struct xt_row {
    uint64_t line;
    xt_value_t v[XT_MAX_FIELDS];
    uint32_t parent;               /* resolved reference, XT_NONE when none */
    uint8_t status[XT_MAX_FIELDS]; /* enum xt_status */
    bool rejected;
    bool ragged;
    bool duplicate;
} xt_row_t;

/* Open-addressing map from an id (a row's v[field].s) to the first row
 * carrying it. SipHash with a per-extract random key, so crafted ids cannot
 * make lookups quadratic. Each slot keeps 32 bits of the id's hash, which
 * place it and are compared before the strings: growing never touches the
 * ids and a probe rarely does. */
typedef struct xt_slot {
    uint32_t row; /* row index + 1; 0 = empty */
    uint32_t hash;
} xt_slot_t;

typedef struct xt_idmap {
    xt_slot_t *slot;
    size_t cap; /* power of two */
    size_t n;
} xt_idmap_t;

typedef struct xt_tab {
    bool present;           /* the file exists */
    int col[XT_MAX_FIELDS]; /* column of each field, -1 when absent */
    xt_row_t *row;
    uint32_t n, cap;
    xt_idmap_t ids; /* tables with an XK_ID field */
} xt_tab_t;

/* Chunked bump allocator: pointers stay valid until xt_arena_free. */
typedef struct xt_arena_block xt_arena_block_t;
typedef struct xt_arena {
    xt_arena_block_t *head;
    size_t used, size; /* in head */
} xt_arena_t;

/* Copy `len` bytes and a NUL; NULL when out of memory. */
char *xt_arena_strdup(xt_arena_t *a, const char *s, size_t len);
void *xt_arena_alloc(xt_arena_t *a, size_t len);
void xt_arena_free(xt_arena_t *a);

/* Finding reasons, in alphabetical order (the order of the reason counts
 * within a field). */
enum xt_reason {
    XR_AFTER_DISCHARGE,
    XR_BAD_DATE,
    XR_BAD_NUMBER,
    XR_BAD_POSTCODE,
    XR_BEFORE_REFERRAL,
    XR_BIRTH_AFTER_REFERRAL,
    XR_DISCHARGE_BEFORE_REFERRAL,
    XR_DUPLICATE_ID,
    XR_FUTURE_DATE,
    XR_MISSING,
    XR_NHS_CHECK_DIGIT,
    XR_ORPHAN,
    XR_OUT_OF_RANGE,
    XR_RAGGED_ROW,
    XR_TOO_LONG,
    XR_UNKNOWN_CODE,
    XR_COUNT
};

/* The reason's name as reports and the quality summary show it. */
extern const char *const xt_reason_names[XR_COUNT];

/* A finding while it is collected, with its sort keys. */
typedef struct xt_finding {
    iapt_finding_t f;
    uint8_t table;
    int8_t field; /* -1 for "*" */
    uint64_t seq;
} xt_finding_t;

typedef struct xt_ctx {
    const iapt_extract_options_t *opt;
    iapt_tools_t tools;
    int32_t future_limit; /* dates after this day are future-date */
    char org[IAPT_ORG_MAX];
    uint8_t hash_key[16]; /* SipHash key of the id maps */
    xt_tab_t tab[XT_NTABLES];
    uint64_t rows_total;   /* against opt->max_rows */
    xt_arena_t work;       /* ids and codes: freed after the read */
    xt_arena_t keep;       /* finding strings: owned by the extract */
    xt_finding_t *finding; /* listed findings */
    size_t n_findings, cap_findings;
    size_t max_findings;     /* listing limit */
    uint64_t findings_total; /* listed or not */
    /* Findings by table, field (+1: "*" is 0) and reason. */
    uint64_t reason_count[XT_NTABLES][XT_MAX_FIELDS + 1][XR_COUNT];
    iapt_imd_t *imd;            /* loaded from opt->imd_path: owned */
    const iapt_imd_t *imd_used; /* opt->imd or imd; NULL for none */
} xt_ctx_t;

/* Record a finding on row `r` (or r == NULL for none) of table t, field f
 * (-1 for the whole row). `value` (len bytes, may be NULL) is masked for
 * identifying fields and cut to XT_VALUE_MAX bytes; `detail` is printf text.
 * Every finding is counted; past the listing limit it is not listed.
 * 0 or IAPT_ENOMEM. */
int xt_finding_add(xt_ctx_t *x, enum xt_table t, int f, const xt_row_t *r, enum xt_reason reason,
                   const char *value, size_t len, bool rejects, const char *detail, ...)
    __attribute__((format(printf, 9, 10)));

/* Validate the trimmed cells of one data row of table t into `row` (line
 * set by the caller), adding field findings and the row to the id map.
 * `cell[i]` / `len[i]` is the value of field i (NULL when the column is
 * absent). 0 or IAPT_ENOMEM. */
int xt_validate_row(xt_ctx_t *x, enum xt_table t, uint32_t idx, const char *const *cell,
                    const size_t *len);

/* After every file is read: duplicates, references and the rejection
 * cascade in EXTRACT-NOTES order, then the findings that compare dates
 * across rows. 0 or IAPT_ENOMEM. */
int xt_validate_resolve(xt_ctx_t *x);

/* Map helpers (validate.c). */
void xt_idmap_free(xt_idmap_t *m);

/* Build, serialize and sort the records into ext. 0 or IAPT_ENOMEM /
 * IAPT_ECRYPTO. */
int xt_records_build(xt_ctx_t *x, iapt_extract_t *ext);

/* Build ext->quality and ext->findings (taking the findings from x).
 * 0 or IAPT_ENOMEM. */
int xt_quality_build(xt_ctx_t *x, iapt_extract_t *ext);

/* True when the referral row (valid dates assumed read) is open at some
 * time in the period: received <= end and (no valid discharge or discharge
 * >= start). */
bool xt_referral_selected(const xt_ctx_t *x, const xt_row_t *r);

/* Where the extract keeps what its public pointers point into. */
struct iapt_extract_mem {
    xt_arena_t keep;  /* finding values and details */
    uint8_t *records; /* all serialized records, back to back */
};

#endif
