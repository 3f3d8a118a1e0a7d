/*
 * cli.h - what every program's command line shares: the product version,
 * -h / --help / --version, validated numeric options, line-buffered stdout.
 *
 * Exit statuses (README, "Programs"): IAPT_EXIT_OK 0 done or verified;
 * IAPT_EXIT_REFUSED 1 refused or a verification failed; IAPT_EXIT_USAGE 2
 * usage, configuration or I/O error; IAPT_EXIT_PENDING 3 (iapt-node) still
 * pending at the deadline.
 *
 * Threads: iapt_cli_init is for main() before any thread starts; the rest
 * are pure or write only to the stream given.
 */
#ifndef IAPT_CLI_H
#define IAPT_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum {
    IAPT_EXIT_OK = 0,
    IAPT_EXIT_REFUSED = 1,
    IAPT_EXIT_USAGE = 2,
    IAPT_EXIT_PENDING = 3,
};

/* The product's version ("1.0.0", from the top-level VERSION file); static. */
const char *iapt_version(void);

/* Call first in main(): stdout line-buffered, so lines written to stdout and
 * stderr keep their order when both go to one log or pipe. */
void iapt_cli_init(void);

/* Print "PROGRAM VERSION" on stdout (the --version answer). */
void iapt_cli_print_version(const char *program);

/* True for "-h" and "--help". */
bool iapt_cli_is_help(const char *arg);

/* True for "--version" (and "-V"). */
bool iapt_cli_is_version(const char *arg);

/* The whole of `text` as a decimal integer in [min, max]: no sign where min
 * is 0 or more, no blanks, no trailing characters, no overflow.
 * 0 and *out set, or IAPT_EUSAGE (out untouched). */
int iapt_parse_long(const char *text, long min, long max, long *out /* out */);

/* The same for unsigned 64-bit values (a leading '-' is refused). */
int iapt_parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out /* out */);

/* iapt_parse_long for an option: on failure prints
 *   "PROGRAM: OPTION must be a whole number of UNIT between MIN and MAX (not 'TEXT')"
 * to stderr and returns IAPT_EUSAGE; `unit` may be NULL ("a whole number
 * between ..."). */
int iapt_cli_long(const char *program, const char *option, const char *text, const char *unit,
                  long min, long max, long *out /* out */);

/* Per-command help from a program's usage text: usage(f) writes a text in
 * which each command starts a line "  COMMAND ..." and its description
 * follows on lines indented by four or more spaces. Prints "usage: PROGRAM
 * [options] ..." and that command's lines to f (NULL: print nothing).
 * 0, or -1 when the usage describes no such command. */
int iapt_cli_usage_command(void (*usage)(FILE *f), const char *program, const char *cmd,
                           FILE *f /* may be NULL */);

#endif
