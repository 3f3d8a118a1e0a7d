/*
 * extract_internal.h - what the generic extract engine's modules share and
 * nobody else uses: the tables as read, the id maps, the finding list, the
 * records being built and the small arena they live in. A collection's
 * tables, rules and records are described by its schema (node/schema.h).
 *
 *   node/extract.c    reading files, the header check, the read entry points,
 *                     the hooks' view of the state, collecting the records
 *   node/validate.c   field validity, duplicates, the rejection cascade
 *                     (docs/EXTRACT-NOTES.md)
 *   node/anonymise.c  pseudonyms, IMD lookup
 *   node/quality.c    the quality summary, masking, text and JSON reports
 *
 * Internal names start with xt_. Row and table indexes are uint32_t: the row
 * limits keep every count below XT_NONE.
 */
#ifndef IAPT_NODE_EXTRACT_INTERNAL_H
#define IAPT_NODE_EXTRACT_INTERNAL_H

#include "node/anonymise.h"
#include "node/extract.h"
#include "node/schema.h"

#include "common/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XT_MAX_FIELDS IAPT_SCHEMA_MAX_FIELDS
#define XT_MAX_TABLES IAPT_SCHEMA_MAX_TABLES
#define XT_ID_MAX IAPT_XID_MAX
#define XT_NONE IAPT_XNONE
#define XT_VALUE_MAX 64 /* bytes of a value kept in a finding */
/* Reasons: the engine's, then the collection's own. */
#define XT_MAX_REASONS (IAPT_XR_COUNT + IAPT_SCHEMA_MAX_REASONS)

typedef iapt_xfield_t xt_field_t;
typedef iapt_xtable_t xt_table_desc_t;
typedef iapt_xrow_t xt_row_t;
typedef iapt_xvalue_t xt_value_t;

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

/* The engine's reason names (enum iapt_xreason). */
extern const char *const xt_reason_names[IAPT_XR_COUNT];

/* A finding while it is collected, with its sort keys. */
typedef struct xt_finding {
    iapt_finding_t f;
    uint8_t table;
    int8_t field; /* -1 for "*" */
    uint64_t seq;
} xt_finding_t;

struct xt_ctx {
    const iapt_extract_options_t *opt;
    const iapt_extract_schema_t *schema;
    const xt_table_desc_t *tables; /* schema->tables */
    int ntables;
    const char *reason_name[XT_MAX_REASONS];
    int n_reasons;
    int reason_order[XT_MAX_REASONS]; /* reasons in alphabetical order of name */
    iapt_tools_t tools;
    int32_t future_limit; /* dates after this day are future-date */
    char org[IAPT_ORG_MAX];
    uint8_t hash_key[16]; /* SipHash key of the id maps */
    xt_tab_t tab[XT_MAX_TABLES];
    uint64_t rows_total;   /* against opt->max_rows */
    xt_arena_t work;       /* ids and codes: freed after the read */
    xt_arena_t keep;       /* finding strings: owned by the extract */
    xt_finding_t *finding; /* listed findings */
    size_t n_findings, cap_findings;
    size_t max_findings;     /* listing limit */
    uint64_t findings_total; /* listed or not */
    /* Findings by table, field (+1: "*" is 0) and reason. */
    uint64_t reason_count[XT_MAX_TABLES][XT_MAX_FIELDS + 1][XT_MAX_REASONS];
    iapt_imd_t *imd;               /* loaded from opt->imd_path: owned */
    const iapt_imd_t *imd_used;    /* opt->imd or imd; NULL for none */
    iapt_buf_t records;            /* serialized records, back to back */
    struct xt_record_entry *entry; /* their ids and places */
    size_t n_entries, cap_entries;
};
typedef struct xt_ctx xt_ctx_t;

typedef struct xt_record_entry {
    uint8_t id[16];
    size_t off, len;
} xt_record_entry_t;

/* Record a finding on row `r` (or r == NULL for none) of table t, field f
 * (-1 for the whole row). `value` (len bytes, may be NULL) is masked for
 * identifying fields and cut to XT_VALUE_MAX bytes; `detail` is printf text.
 * Every finding is counted; past the listing limit it is not listed.
 * 0 or IAPT_ENOMEM. */
int xt_finding_add(xt_ctx_t *x, int t, int f, const xt_row_t *r, int reason, const char *value,
                   size_t len, bool rejects, const char *detail, ...)
    __attribute__((format(printf, 9, 10)));

/* Validate the trimmed cells of one data row of table t into `row` (line
 * set by the caller), adding field findings and the row to the id map.
 * `cell[i]` / `len[i]` is the value of field i (NULL when the column is
 * absent). 0 or IAPT_ENOMEM. */
int xt_validate_row(xt_ctx_t *x, int t, uint32_t idx, const char *const *cell, const size_t *len);

/* After every file is read: duplicates, references and the rejection
 * cascade in EXTRACT-NOTES order, then the findings that compare dates
 * across rows. 0 or IAPT_ENOMEM. */
int xt_validate_resolve(xt_ctx_t *x);

/* Map helpers (validate.c). */
void xt_idmap_free(xt_idmap_t *m);

/* Build the records (the schema's build_records), sort them by id and hand
 * them to ext. 0 or IAPT_ENOMEM / IAPT_ECRYPTO. */
int xt_records_build(xt_ctx_t *x, iapt_extract_t *ext);

/* Build ext->quality and ext->findings (taking the findings from x).
 * 0 or IAPT_ENOMEM. */
int xt_quality_build(xt_ctx_t *x, iapt_extract_t *ext);

/* True when the record table's row is selected (the schema's rule; a
 * ragged row never is). */
bool xt_selected(const xt_ctx_t *x, const xt_row_t *r);

/* Where the extract keeps what its public pointers point into. */
struct iapt_extract_mem {
    xt_arena_t keep;  /* finding values and details */
    uint8_t *records; /* all serialized records, back to back */
};

#endif
