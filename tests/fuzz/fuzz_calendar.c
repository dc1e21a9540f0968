/* fuzz_calendar: a calendar file (calendar_parse; data/calendar-cn.csv is one). A calendar that
 * loads must answer for every day it lists, and a clock of working days started on any of them
 * must end later, at a local midnight, on a working day. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256] = "";
    calendar_t *cal = calendar_parse((const char *)data, size, "fuzz.csv", err, sizeof err);
    if (!cal) {
        if (!err[0])
            abort(); /* a refusal always says why */
        return 0;
    }
    /* every row's date: its day and a few clocks from it (sscanf wants a terminated string) */
    char *text = malloc(size + 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    for (size_t i = 0, lines = 0; i < size && lines < 64; i++) {
        int y, m, d;
        if ((i == 0 || text[i - 1] == '\n') && sscanf(text + i, "%4d-%2d-%2d", &y, &m, &d) == 3) {
            lines++;
            calendar_is_workday(cal, y, m, d);
            for (int n = 1; n <= 20; n += 19) {
                int64_t start = ((int64_t)(y - 1970) * 365 + m * 30 + d) * 86400000LL;
                int64_t end = calendar_add_workdays(cal, start, n, 480);
                if (end <= start || (end + 480 * 60000LL) % 86400000LL != 0)
                    abort();
            }
        }
    }
    free(text);
    calendar_destroy(&cal);
    return 0;
}
