/*
 * tools.h - the assessment-tool reference table (MEASURES.md "Assessment
 * tools"): which questionnaire totals count, their valid range, caseness
 * cut-off, reliable-change value and, for anxiety-disorder-specific measures
 * (ADSMs), the problem descriptors they apply to.
 *
 * The table is data: data/assessment-tools.csv, header
 *   tool,snomed_code,min,max,caseness,reliable_change,role,descriptors
 * role is "depression" (exactly one row, PHQ-9), "anxiety" (exactly one row,
 * the default anxiety measure, GAD-7) or "adsm"; descriptors is a
 * ';'-separated list of ICD-10 prefixes (ADSM rows only). Numbers may carry
 * two decimals. Adding an ADSM is adding a row. The file is CSV read with
 * the shared reader (common/csv.h): fields may be quoted ("PHQ-9, adult"),
 * a BOM and CRLF line ends are accepted, blank lines and lines whose first
 * field starts with '#' are comments.
 *
 * Scores are held as value x 100 (adult.proto Score.value_x100).
 * A score is at caseness when value >= caseness; a reliable improvement is a
 * decrease of at least reliable_change.
 *
 * iapt_tools_t is a plain value: no allocation, copy freely.
 */
#ifndef IAPT_TOOLS_H
#define IAPT_TOOLS_H

#include <stddef.h>
#include <stdint.h>

#define IAPT_TOOLS_MAX 32
#define IAPT_TOOL_DESCRIPTORS_MAX 8

enum iapt_tool_role {
    IAPT_TOOL_DEPRESSION = 0,
    IAPT_TOOL_ANXIETY = 1,
    IAPT_TOOL_ADSM = 2,
};

typedef struct iapt_tool {
    char name[32];
    uint64_t code; /* SNOMED CT code of the questionnaire total */
    int32_t min_x100;
    int32_t max_x100;
    int32_t caseness_x100;
    int32_t reliable_x100;
    enum iapt_tool_role role;
    int n_descriptors;
    char descriptors[IAPT_TOOL_DESCRIPTORS_MAX][12];
} iapt_tool_t;

typedef struct iapt_tools {
    int n;
    int depression; /* index of the depression tool (PHQ-9) */
    int anxiety;    /* index of the default anxiety tool (GAD-7) */
    iapt_tool_t tool[IAPT_TOOLS_MAX];
} iapt_tools_t;

/* The table MEASURES.md ships: PHQ-9 and GAD-7. */
void iapt_tools_default(iapt_tools_t *tools /* out */);

/* Load a table file. IAPT_EFORMAT with file, line and reason in the detail. */
int iapt_tools_load(const char *path, iapt_tools_t *tools /* out */);

/* Parse table text (name used in error details). */
int iapt_tools_parse(const char *text, size_t len, const char *name, iapt_tools_t *tools /* out */);

/* Index of the tool with this code, or -1 (tools not in the table are ignored). */
int iapt_tools_find(const iapt_tools_t *tools, uint64_t code);

/* True when value_x100 is within the tool's range. */
int iapt_tool_in_range(const iapt_tool_t *tool, int32_t value_x100);

/* Index of the ADSM whose descriptor prefix matches the ICD-10 code (longest
 * prefix wins), or -1. */
int iapt_tools_adsm_for(const iapt_tools_t *tools, const char *problem_code);

#endif
