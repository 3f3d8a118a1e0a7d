#include "tests/synth/synth.h"
#include "common/err.h"
int
synth_workforce_run(const synth_opts_t *o)
{
    (void)o;
    return iapt_error_set(IAPT_EUSAGE, "not yet");
}
