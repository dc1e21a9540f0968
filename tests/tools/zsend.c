/* zsend: sends one frame to a ZeroMQ PULL endpoint, as an attacker or a broken peer would, for
 * the end-to-end tests of what receivers trust.
 *   zsend ENDPOINT HOP ID SEQ TYPE REGION CATEGORY   an envelope with a made-up event
 *   zsend --junk BYTES ENDPOINT                      BYTES of garbage in one frame
 * Exit 0 when the frame was queued and flushed (linger), 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "event.h"

int main(int argc, char **argv)
{
    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_PUSH);
    int linger = 2000;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    uint8_t *frame = NULL;
    size_t len = 0;
    const char *endpoint;
    if (argc == 4 && strcmp(argv[1], "--junk") == 0) {
        len = strtoul(argv[2], NULL, 10);
        frame = malloc(len ? len : 1);
        memset(frame, 0x5A, len);
        endpoint = argv[3];
    } else if (argc == 8) {
        endpoint = argv[1];
        Gridline__Event e = GRIDLINE__EVENT__INIT;
        e.appeal_id = argv[3];
        e.seq = (uint32_t)strtoul(argv[4], NULL, 10);
        e.type = event_type_parse(argv[5]) > 0 ? event_type_parse(argv[5]) : 1;
        e.region = argv[6];
        e.category = argv[7];
        e.channel = "hotline";
        e.actor = "intake";
        size_t elen = 0;
        uint8_t *blob = event_pack(&e, &elen);
        frame = event_envelope_wrap(argv[2], "zsend", blob, elen, &len);
        free(blob);
    } else {
        fprintf(stderr, "usage: zsend ENDPOINT HOP ID SEQ TYPE REGION CATEGORY\n"
                        "       zsend --junk BYTES ENDPOINT\n");
        return 2;
    }
    int rc = zmq_connect(sock, endpoint) == 0 && zmq_send(sock, frame, len, 0) == (int)len ? 0 : 1;
    free(frame);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    return rc;
}
