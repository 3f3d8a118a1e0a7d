/*
 * geography.h - the geography file (docs/FORMATS.md "Geography"): each
 * commissioner (sub-ICB) code with its ICB and region, and the programme's
 * table of prevalence and 2015 targets by Strategic Health Authority
 * (data/sha-2012-targets.csv).
 *
 * Both are read with common/csv.h and refused as a whole, with
 * "FILE:LINE: reason" in the error detail, when any row is malformed.
 * Columns are found by name (order free, extra columns ignored); lines with
 * a single empty field (blank lines) are skipped.
 *
 * Ownership: the load / parse functions return owned objects; every string
 * and struct they hand out belongs to the object and stays valid until it
 * is destroyed. Loaded objects are immutable: any number of threads may
 * read one at a time.
 */
#ifndef IAPT_GEOGRAPHY_H
#define IAPT_GEOGRAPHY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One row of the geography file. */
typedef struct iapt_geo_area {
    const char *subicb_code; /* 3-5 of [A-Z0-9], unique in the file */
    const char *subicb_name;
    const char *icb_code; /* 1-16 of [A-Z0-9]; one name and region per code */
    const char *icb_name;
    const char *region_code; /* 1-16 of [A-Z0-9]; one name per code, and the
                              * names of distinct regions differ */
    const char *region_name;
} iapt_geo_area_t;

typedef struct iapt_geography iapt_geography_t;

/* Load `path`. IAPT_ENOTFOUND, IAPT_EIO, IAPT_EFORMAT (header missing a
 * column; a row with a wrong number of fields, an empty field, a bad code;
 * a sub-ICB listed twice; an ICB or region code given two names or an ICB
 * two regions; two regions with one name), IAPT_ELIMIT, IAPT_ENOMEM. */
int iapt_geography_load(const char *path, iapt_geography_t **out /* out, owned */);

/* The same from memory; `name` is used in error details. */
int iapt_geography_parse(const char *data, size_t len, const char *name,
                         iapt_geography_t **out /* out, owned */);

void iapt_geography_destroy(iapt_geography_t **geo_p);

/* The area of a sub-ICB code, or NULL when the file does not list it. */
const iapt_geo_area_t *iapt_geography_find(const iapt_geography_t *geo, const char *subicb_code);

/* Number of areas, and the i-th in sub-ICB code order. */
size_t iapt_geography_count(const iapt_geography_t *geo);
const iapt_geo_area_t *iapt_geography_at(const iapt_geography_t *geo, size_t i);

/* Region code with this exact name, or NULL. */
/* Optional columns: a geography file may have columns beyond the six it
 * needs (docs/FORMATS.md "Geography"; e.g. a population column a
 * collection's programme view reads). Their fields are kept as text.
 * True when the file has a column of this name. */
bool iapt_geography_has_column(const iapt_geography_t *geo, const char *column);

/* The text of optional column `column` in the row of `area` (an area this
 * geography returned), or NULL when there is no such column. */
const char *iapt_geography_field(const iapt_geography_t *geo, const iapt_geo_area_t *area,
                                 const char *column);

/* The field as a whole number 0..10^18-1 in *out: 1; 0 (and *out = 0)
 * when it is empty or not digits only; -1 (and *out = 0) when the file has
 * no such column. */
int iapt_geography_number(const iapt_geography_t *geo, const iapt_geo_area_t *area,
                          const char *column, int64_t *out /* out */);

const char *iapt_geography_region_by_name(const iapt_geography_t *geo, const char *region_name);

/* ------------------------------------------------------------------------
 * SHA 2012 prevalence and 2015 targets
 * ---------------------------------------------------------------------- */

/* One row of sha-2012-targets.csv; every number is a positive whole number
 * (people, annual). */
typedef struct iapt_sha_target {
    const char *sha_name;           /* matched against region_name */
    uint64_t prevalence;            /* people with depression or anxiety */
    uint64_t entering_treatment;    /* entering_treatment_by_2015 */
    uint64_t completing_treatment;  /* completing_treatment_by_2015 */
    uint64_t recovering;            /* recovering_by_2015 */
    uint64_t off_sick_pay_benefits; /* off_sick_pay_benefits_by_2015 */
} iapt_sha_target_t;

typedef struct iapt_sha_targets iapt_sha_targets_t;

/* Load `path` (header sha_name,prevalence,entering_treatment_by_2015,
 * completing_treatment_by_2015,recovering_by_2015,
 * off_sick_pay_benefits_by_2015). IAPT_EFORMAT with FILE:LINE for a
 * missing column, an empty or repeated name, a number that is not a
 * positive whole number below 10^12; IAPT_ENOTFOUND, IAPT_EIO, IAPT_ENOMEM. */
int iapt_sha_targets_load(const char *path, iapt_sha_targets_t **out /* out, owned */);

int iapt_sha_targets_parse(const char *data, size_t len, const char *name,
                           iapt_sha_targets_t **out /* out, owned */);

void iapt_sha_targets_destroy(iapt_sha_targets_t **t_p);

/* Number of rows, and the i-th in file order. */
size_t iapt_sha_targets_count(const iapt_sha_targets_t *t);
const iapt_sha_target_t *iapt_sha_targets_at(const iapt_sha_targets_t *t, size_t i);

/* The row named `sha_name`, or NULL. */
const iapt_sha_target_t *iapt_sha_targets_find(const iapt_sha_targets_t *t, const char *sha_name);

#endif
