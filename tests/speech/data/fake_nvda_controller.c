/* A stand-in for nvdaControllerClient.dll with the same exported functions and signatures
 * (error_status_t = unsigned long, const wchar_t* text), built with gcc at test time. It
 * appends each call to a log file as "function<TAB>text" in UTF-8. fake_set_running(0) makes
 * every call fail as the real client does when NVDA is not running (RPC_S_SERVER_UNAVAILABLE). */
#include <stdio.h>
#include <wchar.h>

#define RPC_S_SERVER_UNAVAILABLE 1722UL

static char log_path[4096];
static int running = 1;

static void put_utf8(FILE *f, const wchar_t *text) {
    for (; text && *text; ++text) {
        unsigned long c = (unsigned long)*text;
        if (c < 0x80) fputc((int)c, f);
        else if (c < 0x800) { fputc(0xC0 | (c >> 6), f); fputc(0x80 | (c & 0x3F), f); }
        else if (c < 0x10000) { fputc(0xE0 | (c >> 12), f); fputc(0x80 | ((c >> 6) & 0x3F), f); fputc(0x80 | (c & 0x3F), f); }
        else { fputc(0xF0 | (c >> 18), f); fputc(0x80 | ((c >> 12) & 0x3F), f); fputc(0x80 | ((c >> 6) & 0x3F), f); fputc(0x80 | (c & 0x3F), f); }
    }
}

static unsigned long record(const char *function, const wchar_t *text) {
    if (!running) return RPC_S_SERVER_UNAVAILABLE;
    FILE *f = fopen(log_path, "a");
    if (!f) return 5UL; /* ERROR_ACCESS_DENIED */
    fputs(function, f);
    fputc('\t', f);
    put_utf8(f, text);
    fputc('\n', f);
    fclose(f);
    return 0UL;
}

void fake_set_log(const char *path) { snprintf(log_path, sizeof log_path, "%s", path); }
void fake_set_running(int value) { running = value; }

unsigned long nvdaController_testIfRunning(void) { return running ? 0UL : RPC_S_SERVER_UNAVAILABLE; }
unsigned long nvdaController_speakText(const wchar_t *text) { return record("speakText", text); }
unsigned long nvdaController_cancelSpeech(void) { return record("cancelSpeech", 0); }
unsigned long nvdaController_brailleMessage(const wchar_t *message) { return record("brailleMessage", message); }
