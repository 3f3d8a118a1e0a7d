/*
 * cyp_derive.h - one anonymised CYP referral record (proto/cyp.proto) ->
 * every per-referral field and flag of docs/CYP.md "Per-referral derived
 * fields", and the referral's level in every CYP breakdown.
 *
 * The record came over the network: every guarantee cyp.proto makes is
 * checked, and a record that breaks one is refused (IAPT_EFORMAT naming the
 * field, e.g. "contacts[3].attendance: not a valid code") rather than
 * counted on a guess. Rules that depend on the tool table are not
 * guarantees of the record (the node's table may be edited between months)
 * and are applied, not refused: a score whose tool is not in the table, out
 * of the tool's range, a symptom score with a goal number or a goal rating
 * without one is ignored and counted in scores_ignored.
 *
 * Everything is exact: days are whole numbers, scores hundredths, the goal
 * movement a multiple of 1/600 point (the mean over 1, 2 or 3 goals of
 * differences in hundredths is always a whole number of 1/600 points).
 * No allocation, no floating point; thread-safe.
 */
#ifndef IAPT_CYP_DERIVE_H
#define IAPT_CYP_DERIVE_H

#include "common/collections/cyp/cyp_tools.h"
#include "common/date.h"
#include "proto/cyp.pb-c.h"

#include <stdbool.h>
#include <stdint.h>

/* A day that is not there (no closure, no attended contact ...). */
#define IAPT_CYP_DAY_NONE INT32_MIN
/* Records' days must lie within this many days of the period start. */
#define IAPT_CYP_DAY_LIMIT 36525
/* At most this many contacts and this many scores in one record. */
#define IAPT_CYP_EVENTS_MAX 100000
/* Series of one referral: one per symptom tool, one per goal number. */
#define IAPT_CYP_GOALS 3
#define IAPT_CYP_SERIES_MAX (IAPT_CYP_TOOLS_MAX + IAPT_CYP_GOALS)
/* Goal movement is kept in units of 1/IAPT_CYP_GOAL_UNIT point. */
#define IAPT_CYP_GOAL_UNIT 600

/* The CYP breakdowns, in output order (labels: cyp_measures.h). */
enum iapt_cyp_breakdown {
    IAPT_CYP_BD_NONE = 0, /* the whole group: one level */
    IAPT_CYP_BD_AGE = 1,
    IAPT_CYP_BD_GENDER = 2,
    IAPT_CYP_BD_ETHNICITY = 3,
    IAPT_CYP_BD_IMD = 4,
    IAPT_CYP_BD_TEAM = 5,
    IAPT_CYP_BD_REASON = 6,
    IAPT_CYP_BD_SOURCE = 7,
    IAPT_CYP_BD_SECTOR = 8,
};
#define IAPT_CYP_BD_COUNT 9

/* One series: the valid scores of one symptom tool, or of one goal number
 * of the goal tool, dated in the window (referral day to closure day, or
 * period end, both inclusive), ordered by day, then file_order, then
 * position in the record. */
typedef struct iapt_cyp_series {
    int tool;              /* index in the tool table */
    uint8_t goal_number;   /* 1..3 for a goal series, 0 for a symptom series */
    uint32_t count;        /* scores in the series (>= 1) */
    int32_t first_x100;    /* the earliest score */
    int32_t last_x100;     /* the latest score */
    bool paired;           /* count >= 2 */
    bool at_caseness;      /* symptom: First at caseness */
    bool last_at_caseness; /* symptom: Last at caseness */
    bool improved;         /* paired, Last - First moved in the better direction by >= reliable */
    bool deteriorated;     /* paired, ... the other direction by >= reliable */
    bool eligible;         /* paired and (a goal series or a symptom series at caseness) */
} iapt_cyp_series_t;

/* Every derived field of one referral. Days are relative to the period
 * start (day 0, period end E); IAPT_CYP_DAY_NONE when absent. A plain
 * value: copy freely. */
typedef struct iapt_cyp_derived {
    int32_t period_end;   /* E = period length - 1 */
    int32_t referral_day; /* ReferralRequestReceivedDate */
    int32_t closure_day;  /* ServDischDate within the period, or IAPT_CYP_DAY_NONE */

    bool received_in_period;        /* C001: referral day >= 0 */
    bool self_referral;             /* C002: of C001, source 01 */
    bool parent_referral;           /* C003: of C001, source 02 */
    bool school_referral;           /* C004: of C001, source 04 */
    bool closed_in_period;          /* C030 */
    bool open_end;                  /* C012: not closed at the period end */
    bool waiting_first_contact_end; /* C013: open, no attended contact by E */
    bool waiting_over_18_weeks_end; /* C014: of C013, E - referral day > 126 */

    /* Contacts (every one up to E, whatever the closure date). */
    uint32_t attended_contacts;    /* AttendOrDNACode 5 or 6 */
    bool face_to_face;             /* an attended contact with ConsMechanism 01 */
    int32_t first_attended_day;    /* earliest attended contact */
    int32_t second_attended_day;   /* second earliest (equal days: that day) */
    bool first_contact_in_period;  /* C010: first attended contact in 0..E */
    bool second_contact_in_period; /* C011: second attended contact in 0..E */
    bool has_wait;                 /* an attended contact exists */
    int32_t wait;                  /* first attended day - referral day (may be < 0) */
    bool wait_within_4_weeks;      /* C062: C010 and wait <= 28 */
    uint32_t attended_in_period;   /* C020: attended contacts dated in 0..E */
    uint32_t dnas_in_period;       /* C021: code 3 contacts dated in 0..E */

    /* Series and the outcome flags. */
    uint32_t scores_ignored; /* unknown tool, out of range, wrong goal number, outside window */
    int n_series;
    iapt_cyp_series_t
        series[IAPT_CYP_SERIES_MAX]; /* symptom tools in table order, then goals 1..3 */
    bool closed_two_contacts;        /* C031: closed in period, >= 2 attended contacts */
    bool closed_paired;              /* C032: C031 and a paired series (symptom or goal) */
    bool outcome_eligible;           /* C040 */
    bool measurable_improvement;     /* C041 */
    bool deterioration;              /* C043 */
    bool recovery_eligible;          /* C046: C040 and a paired symptom series at caseness */
    bool recovered;                  /* C045 */

    /* Goal movement: the mean over the paired goal series of Last - First. */
    uint32_t paired_goal_series;    /* 0..3 */
    int64_t goal_change_sum_x100;   /* sum of Last - First over them, hundredths */
    int64_t goal_movement_x600;     /* the mean, in 1/600 point (exact); 0 when none */
    bool closed_paired_goals;       /* C050: closed in period, a paired goal series */
    bool reliable_goal_improvement; /* C052: C050, mean >= the goal tool's reliable change */

    bool cwp_team; /* TeamType CWP (the programme view's CWP teams) */
    /* Level index of the referral in every breakdown (level[0] = 0). */
    uint8_t level[IAPT_CYP_BD_COUNT];
} iapt_cyp_derived_t;

/*
 * Derive every field of one record.
 *   rec     a decoded record (untrusted: every guarantee of cyp.proto is
 *           checked);
 *   period  the reporting period the record was submitted for;
 *   tools   the tool table (iapt_cyp_tools_load);
 *   out     filled on success; unspecified on failure.
 * Returns 0; IAPT_EUSAGE for NULL arguments, a period that is not a month
 * or a tool table that was not loaded; IAPT_EFORMAT with the field named for a record that breaks
 * cyp.proto: ids not 16 bytes; an unknown person id basis or age band; commissioner not 3-5 of
 * [A-Z0-9]; a coded field neither a listed code nor "?"; attendance missing or not a listed code; a
 * referral after the period end; a closure outside the period; any contact or score after the
 * period end or any day beyond IAPT_CYP_DAY_LIMIT; a score tool empty, longer than
 * IAPT_CYP_TOOL_CODE_MAX or not printable ASCII; a goal number not 1..3;
 * IMD decile not 1..10; more than IAPT_CYP_EVENTS_MAX contacts or scores.
 * Used as written (findings at the node, not refusals): contacts before the
 * referral (a negative wait), a closure before the referral. Applied, not
 * refused (table rules): scores of tools not in the table, out of range,
 * with a goal number that does not fit the tool's kind, or outside the
 * window are ignored (scores_ignored). The order of the record's lists is
 * not relied on.
 */
int iapt_cyp_derive(const Iapt__CypReferralRecord *rec, const iapt_period_t *period,
                    const iapt_cyp_tools_t *tools, iapt_cyp_derived_t *out /* out */);

/* Age band at referral from two day numbers (completed years; a birthday on
 * 29 February is reached on 1 March in other years; CYP_AGE_UNKNOWN when
 * the birth is after the referral). For the node's anonymisation. */
Iapt__CypAgeBand iapt_cyp_age_band(int32_t birth_day, int32_t referral_day);

#endif
