/* gwsend: one submission (or one junk frame) to intake's ZeroMQ gateway, as a DEALER client,
 * for the end-to-end tests; prints the reply as "request_id result id error_code error_field"
 * ("-" for empty), or "noreply" when none came within 3 s.
 *   gwsend ENDPOINT REQUEST_ID CHANNEL REGION CATEGORY DESCRIPTION [IDEMPOTENCY_KEY]
 *   gwsend --junk HEX ENDPOINT      one frame of the bytes HEX spells
 * Exit 0 when a reply came, 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "gridline.pb-c.h"

static const char *s_or_dash(const char *s)
{
    return s && *s ? s : "-";
}

int main(int argc, char **argv)
{
    uint8_t *frame = NULL;
    size_t len = 0;
    const char *endpoint;
    if (argc == 4 && strcmp(argv[1], "--junk") == 0) {
        size_t hex = strlen(argv[2]);
        frame = malloc(hex / 2 + 1);
        for (size_t i = 0; i + 1 < hex; i += 2) {
            unsigned byte = 0;
            sscanf(argv[2] + i, "%2x", &byte);
            frame[len++] = (uint8_t)byte;
        }
        endpoint = argv[3];
    } else if (argc == 7 || argc == 8) {
        endpoint = argv[1];
        Gridline__Appeal a = GRIDLINE__APPEAL__INIT;
        a.channel = argv[3];
        a.region = argv[4];
        a.category = argv[5];
        a.description = argv[6];
        Gridline__Submission s = GRIDLINE__SUBMISSION__INIT;
        s.appeal = &a;
        s.request_id = argv[2];
        if (argc == 8)
            s.idempotency_key = argv[7];
        if (getenv("GRIDLINE_TOKEN")) /* the e2e token, as loadgen --gateway sends it */
            s.token = getenv("GRIDLINE_TOKEN");
        len = gridline__submission__get_packed_size(&s);
        frame = malloc(len);
        gridline__submission__pack(&s, frame);
    } else {
        fprintf(stderr, "usage: gwsend ENDPOINT REQUEST_ID CHANNEL REGION CATEGORY DESCRIPTION "
                        "[IDEMPOTENCY_KEY] | gwsend --junk HEX ENDPOINT\n");
        return 2;
    }
    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0, timeout = 3000;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sock, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    int rc = 1;
    if (zmq_connect(sock, endpoint) == 0 && zmq_send(sock, frame, len, 0) >= 0) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, sock, 0) >= 0) {
            Gridline__SubmissionReply *r =
                gridline__submission_reply__unpack(NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
            if (r) {
                printf("%s %s %s %s %s\n", s_or_dash(r->request_id), s_or_dash(r->result),
                       s_or_dash(r->id), s_or_dash(r->error_code), s_or_dash(r->error_field));
                gridline__submission_reply__free_unpacked(r, NULL);
                rc = 0;
            } else {
                printf("undecodable\n");
            }
        } else {
            printf("noreply\n");
        }
        zmq_msg_close(&msg);
    }
    free(frame);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    return rc;
}
