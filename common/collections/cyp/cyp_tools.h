/*
 * cyp_tools.h - the CYP assessment-tool table (docs/CYP.md "Assessment
 * tools"): which questionnaires and goal ratings count, their valid range,
 * which direction is better, the caseness cut-off and the reliable change.
 *
 * The table is data: data/cyp-assessment-tools.csv, with the columns
 *   code,name,kind,min,max,better,caseness,reliable_change
 * found by name in the header row (any order; other columns are ignored).
 * kind is "symptom" or "goal", better "lower" or "higher". Numbers are
 * -?[0-9]+(\.[0-9]{1,2})? and are held exactly, in hundredths. The file is
 * CSV read with the shared reader (common/csv.h): quoted fields, a BOM and
 * CRLF line ends are accepted; spaces and tabs around a field are trimmed;
 * blank lines, rows of empty fields and lines whose first field starts with
 * '#' are comments. Loading refuses, naming the line:
 *   - a header without one of the eight columns, a row with another number
 *     of fields than the header;
 *   - an empty or over-long code or name, a code with a character outside
 *     printable ASCII or with a space or comma, a repeated code;
 *   - a kind or better outside its list;
 *   - a number that is not one (min, max, caseness, reliable_change),
 *     min > max, reliable_change <= 0;
 *   - a symptom row without a caseness; a goal row with a caseness or with
 *     better=lower; a second goal row;
 *   - more than IAPT_CYP_TOOLS_MAX tools, and a table with no tool.
 * A table without a goal row is accepted (no goal series then exist).
 * Nothing here knows the shipped tools: every rule reads the table.
 *
 * The table's SHA-256 is of the file's exact bytes (libsodium), in lower-case
 * hex: it travels in the manifest and JSON outputs as `tools_sha256`.
 *
 * iapt_cyp_tools_t is a plain value: no allocation, copy freely; the
 * functions are thread-safe on distinct tables, and read-only ones on
 * shared tables. Errors: IAPT_EFORMAT / IAPT_ELIMIT (detail "file:line:
 * reason"), IAPT_EIO / IAPT_ENOTFOUND / IAPT_ENOMEM from reading the file.
 */
#ifndef IAPT_CYP_TOOLS_H
#define IAPT_CYP_TOOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IAPT_CYP_TOOLS_MAX 32
#define IAPT_CYP_TOOL_CODE_MAX 16 /* bytes of a code, NUL excluded */
#define IAPT_CYP_TOOL_NAME_MAX 95 /* bytes of a name, NUL excluded */
/* Absolute value of any number in the table, in hundredths. */
#define IAPT_CYP_TOOL_VALUE_MAX 100000000

enum iapt_cyp_tool_kind {
    IAPT_CYP_TOOL_SYMPTOM = 0,
    IAPT_CYP_TOOL_GOAL = 1,
};

enum iapt_cyp_better {
    IAPT_CYP_BETTER_LOWER = 0,  /* lower scores are better */
    IAPT_CYP_BETTER_HIGHER = 1, /* higher scores are better */
};

typedef struct iapt_cyp_tool {
    char code[IAPT_CYP_TOOL_CODE_MAX + 1];
    char name[IAPT_CYP_TOOL_NAME_MAX + 1];
    enum iapt_cyp_tool_kind kind;
    enum iapt_cyp_better better;
    int32_t min_x100;
    int32_t max_x100;
    bool has_caseness;     /* symptom rows: always; goal rows: never */
    int32_t caseness_x100; /* 0 when !has_caseness */
    int32_t reliable_x100; /* > 0 */
} iapt_cyp_tool_t;

typedef struct iapt_cyp_tools {
    int n;
    int goal; /* index of the one goal tool, -1 when the table has none */
    iapt_cyp_tool_t tool[IAPT_CYP_TOOLS_MAX];
    char sha256_hex[65]; /* SHA-256 of the table's bytes, lower-case hex */
} iapt_cyp_tools_t;

/* Load a table file (at most 1 MiB). 0, or an error naming path and line;
 * *tools is unspecified on failure. */
int iapt_cyp_tools_load(const char *path, iapt_cyp_tools_t *tools /* out */);

/* Parse table text (`name` is used in error details); the hash is of
 * text[0..len). */
int iapt_cyp_tools_parse(const char *text, size_t len, const char *name,
                         iapt_cyp_tools_t *tools /* out */);

/* Index of the tool with exactly this code, or -1 (NULL is -1). */
int iapt_cyp_tools_find(const iapt_cyp_tools_t *tools, const char *code);

/* True when min <= value_x100 <= max. */
bool iapt_cyp_tool_in_range(const iapt_cyp_tool_t *tool, int32_t value_x100);

/* True when a symptom tool's score is at caseness: >= caseness for
 * better=lower, <= caseness for better=higher. False for goal tools. */
bool iapt_cyp_tool_at_caseness(const iapt_cyp_tool_t *tool, int32_t value_x100);

/* The change last - first of a tool's series expressed in its better
 * direction: positive is better (first - last for better=lower). */
int64_t iapt_cyp_tool_gain(const iapt_cyp_tool_t *tool, int32_t first_x100, int32_t last_x100);

/* ---------------------------------------------------------------------------
 * One CYP607 score row against the table (for the node's validation)
 * ------------------------------------------------------------------------ */

/* What docs/CYP.md says of one score row. Every verdict but OK and
 * BAD_VALUE is a finding and the score is ignored; BAD_VALUE is an invalid
 * mandatory PersScore (the row is rejected). */
enum iapt_cyp_score_verdict {
    IAPT_CYP_SCORE_OK = 0,
    IAPT_CYP_SCORE_BAD_VALUE = 1,       /* PersScore not -?[0-9]+(\.[0-9]{1,2})? */
    IAPT_CYP_SCORE_UNKNOWN_TOOL = 2,    /* CodedAssToolType not a code of the table */
    IAPT_CYP_SCORE_OUT_OF_RANGE = 3,    /* outside the tool's min..max */
    IAPT_CYP_SCORE_GOAL_MISSING = 4,    /* goal tool, GoalNumber not exactly 1, 2 or 3 */
    IAPT_CYP_SCORE_GOAL_ON_SYMPTOM = 5, /* symptom tool with a non-empty GoalNumber */
};

typedef struct iapt_cyp_score_row {
    int tool;             /* index in the table (OK, OUT_OF_RANGE, GOAL_*), else -1 */
    int32_t value_x100;   /* PersScore x 100 (all but BAD_VALUE) */
    unsigned goal_number; /* 1..3 for an OK goal score, else 0 */
} iapt_cyp_score_row_t;

/* Judge one row from its CodedAssToolType, PersScore and GoalNumber texts
 * (NULL is empty; spaces and tabs around each are trimmed). Checked in the
 * order value, tool, range, goal number; the first failure is the verdict.
 * A value beyond +-1000000 is OUT_OF_RANGE (of every tool); a PersScore of
 * more than 63 characters after trimming is BAD_VALUE. Never fails:
 * any text is judged. */
enum iapt_cyp_score_verdict iapt_cyp_tools_check_score(const iapt_cyp_tools_t *tools,
                                                       const char *code, const char *score,
                                                       const char *goal,
                                                       iapt_cyp_score_row_t *out /* out */);

/* A sentence for a verdict ("tool code not in the tool table"), for the
 * finding's reason. Static storage. */
const char *iapt_cyp_score_verdict_text(enum iapt_cyp_score_verdict verdict);

#endif
