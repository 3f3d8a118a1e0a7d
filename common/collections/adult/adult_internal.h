/*
 * adult_internal.h - what the adult collection's hub modules
 * (adult_measures.c, adult_derive.c, adult_targets.c) share and nobody
 * else needs: the counters an adult cell holds and their level maps.
 */
#ifndef IAPT_ADULT_INTERNAL_H
#define IAPT_ADULT_INTERNAL_H

#include "common/collections/adult/adult_measures.h"

/* The counters of a cell, in their encoding order. Version 1 of the cell
 * encoding writes exactly these, in this order: never reorder or remove
 * one; adding one means a new encoding version. */
enum iapt_adult_counter {
    IAPT_C_REFERRALS = 0, /* counted referrals: does the group appear? */
    IAPT_C_M001,
    IAPT_C_M002,
    IAPT_C_M003,
    IAPT_C_M023,
    IAPT_C_M031,
    IAPT_C_M036,
    IAPT_C_M037,
    IAPT_C_M038,
    IAPT_C_M044,
    IAPT_C_M056,
    IAPT_C_M057, /* ended, EndCode 10 */
    IAPT_C_M058, /* 11 */
    IAPT_C_M059, /* 12 */
    IAPT_C_M060, /* 13 */
    IAPT_C_M061, /* 14 */
    IAPT_C_M062, /* 17 */
    IAPT_C_M063, /* 95 */
    IAPT_C_M066, /* 46 */
    IAPT_C_M069, /* 49 */
    IAPT_C_M070, /* 96 */
    IAPT_C_M073,
    IAPT_C_M074,
    IAPT_C_M075,
    IAPT_C_M076,
    IAPT_C_M082,
    IAPT_C_M083, /* appointments, AttendOrDNACode 2 */
    IAPT_C_M084, /* 3 */
    IAPT_C_M085, /* 4 */
    IAPT_C_M086, /* 5 */
    IAPT_C_M087, /* 6 */
    IAPT_C_M088, /* 7 */
    IAPT_C_M110,
    IAPT_C_M104,
    IAPT_C_M179,
    IAPT_C_M184,
    IAPT_C_M185,
    IAPT_C_M187,
    IAPT_C_M189,
    IAPT_C_M191,
    IAPT_C_M193,
    IAPT_C_M201,
    IAPT_C_M198,
    IAPT_C_M237,
    IAPT_C_FINISHED_6W,  /* M053 numerator: M076 with wait <= 42 */
    IAPT_C_FINISHED_18W, /* M055 numerator: M076 with wait <= 126 */
    IAPT_C_OFF_SSP_OR_BENEFITS,
    IAPT_C_ETH_FINISHED, /* + enum iapt_ethnic_group (5) */
    IAPT_C_ETH_NOT_CASENESS = IAPT_C_ETH_FINISHED + 5,
    IAPT_C_ETH_RELIABLE_RECOVERY = IAPT_C_ETH_NOT_CASENESS + 5,
    IAPT_C_COUNT = IAPT_C_ETH_RELIABLE_RECOVERY + 5,
};

/* The distributions of a cell, in their encoding order. */
enum iapt_adult_dist {
    IAPT_D_WAIT = 0,       /* wait of M031 referrals (M048, M049) */
    IAPT_D_TREATMENTS = 1, /* TreatmentCareContact_Count of M076 (M141, M142) */
    IAPT_D_COUNT = 2,
};

/* Attendance codes 2..7 index appts_by_attendance. */
#define IAPT_ATTEND_MIN 2
#define IAPT_ATTEND_MAX 7

/* Level mappings (measures.c), each returning the level index of the
 * breakdown's label list; NULL input is "missing". */
int iapt_level_gender(const char *code);
int iapt_level_ethnicity(const char *code);
int iapt_level_problem(const char *primary_code); /* "" = no descriptor */
int iapt_level_source(const char *code);
/* Therapy-name index of a SNOMED CT code (the therapy breakdown's level),
 * or -1 for a code in none of MEASURES.md's therapy types. */
int iapt_therapy_index(uint64_t code);
#define IAPT_THERAPY_NAMES 18 /* therapy levels before "None" */
#define IAPT_THERAPY_CBT 15
#define IAPT_THERAPY_CFD 10

/* The derivation hooks of the schema (adult_derive.c). */
int iapt_adult_derive_open(const iapt_derive_context_t *ctx, void **state);
int iapt_adult_derive_record(void *state, const uint8_t *bytes, size_t len, size_t index,
                             iapt_emit_fn emit, void *arg);
void iapt_adult_derive_free(void *state);

/* The targets view as the schema's programme view (adult_targets.c):
 * in->targets is the iapt_sha_targets_t table. */
int iapt_adult_targets_view(const iapt_view_input_t *in, struct iapt_target_rows **out);

#endif
