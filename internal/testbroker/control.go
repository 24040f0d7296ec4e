package testbroker

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ControlUsage documents the control API; GET / returns it.
const ControlUsage = `testbroker control API
GET    /state                                   brokers, topics (offsets, bytes), faults (JSON)
POST   /faults/delay?key=Fetch&ms=500           delay every request of a kind
POST   /faults/fail?key=Produce&topic=T[&error=TOPIC_AUTHORIZATION_FAILED]
                                                answer requests of a kind (to a topic) with an error
POST   /faults/unwritable?topic=T               every produce to T fails (not retried)
POST   /faults/drop?topic=T                     produce requests to T close their connection
POST   /faults/drop?key=Fetch                   every request of a kind closes its connection
DELETE /faults                                  clear every fault
DELETE /faults/{id}                             clear one fault
POST   /leaders/shuffle                         elect new leaders for every partition
POST   /leaders/move?topic=T&partition=0&node=1 move one partition's leader to a broker
POST   /retention/apply                         apply retention now
`

// ControlHandler serves the control API. Bind it to loopback only: it has no
// authentication.
func (b *Broker) ControlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, ControlUsage)
	})
	mux.HandleFunc("GET /state", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, b.State()) })
	mux.HandleFunc("POST /faults/delay", func(w http.ResponseWriter, r *http.Request) {
		key, err := ParseKey(r.FormValue("key"))
		if err != nil {
			httpError(w, http.StatusBadRequest, "key: %v", err)
			return
		}
		ms, err := strconv.Atoi(r.FormValue("ms"))
		if err != nil || ms < 0 {
			httpError(w, http.StatusBadRequest, "ms=%q: want a non-negative number of milliseconds", r.FormValue("ms"))
			return
		}
		info, _ := b.delayRequests(key, time.Duration(ms)*time.Millisecond)
		writeJSON(w, http.StatusCreated, info)
	})
	mux.HandleFunc("POST /faults/fail", func(w http.ResponseWriter, r *http.Request) {
		key, err := ParseKey(r.FormValue("key"))
		if err != nil {
			httpError(w, http.StatusBadRequest, "key: %v", err)
			return
		}
		var kerrv *kerr.Error
		if e := r.FormValue("error"); e != "" {
			if kerrv, err = ParseError(e); err != nil {
				httpError(w, http.StatusBadRequest, "error: %v", err)
				return
			}
		}
		info, _ := b.failRequests(key, r.FormValue("topic"), kerrv)
		writeJSON(w, http.StatusCreated, info)
	})
	mux.HandleFunc("POST /faults/unwritable", func(w http.ResponseWriter, r *http.Request) {
		topic := r.FormValue("topic")
		if topic == "" {
			httpError(w, http.StatusBadRequest, "topic: required")
			return
		}
		info, _ := b.failRequests(int16(kmsg.Produce), topic, kerr.TopicAuthorizationFailed)
		writeJSON(w, http.StatusCreated, info)
	})
	mux.HandleFunc("POST /faults/drop", func(w http.ResponseWriter, r *http.Request) {
		topic, keyName := r.FormValue("topic"), r.FormValue("key")
		var info FaultInfo
		switch {
		case keyName == "" && topic == "":
			httpError(w, http.StatusBadRequest, "key or topic: required (topic=T drops produce requests to T, key=K every request of kind K)")
			return
		case keyName == "":
			info, _ = b.dropProduceTo(topic)
		case topic != "":
			httpError(w, http.StatusBadRequest, "key and topic: give one (a topic selects produce requests)")
			return
		default:
			key, err := ParseKey(keyName)
			if err != nil {
				httpError(w, http.StatusBadRequest, "key: %v", err)
				return
			}
			info, _ = b.drop(key, "")
		}
		writeJSON(w, http.StatusCreated, info)
	})
	mux.HandleFunc("DELETE /faults", func(w http.ResponseWriter, _ *http.Request) {
		b.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /faults/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil {
			httpError(w, http.StatusBadRequest, "fault id %q: want a number", r.PathValue("id"))
			return
		}
		if !b.ClearFault(id) {
			httpError(w, http.StatusNotFound, "fault %d: no such active fault", id)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /leaders/shuffle", func(w http.ResponseWriter, _ *http.Request) {
		b.Cluster.ShufflePartitionLeaders()
		writeJSON(w, http.StatusOK, b.State())
	})
	mux.HandleFunc("POST /leaders/move", func(w http.ResponseWriter, r *http.Request) {
		part, err1 := strconv.ParseInt(r.FormValue("partition"), 10, 32)
		node, err2 := strconv.ParseInt(r.FormValue("node"), 10, 32)
		if err1 != nil || err2 != nil {
			httpError(w, http.StatusBadRequest, "partition=%q node=%q: want numbers", r.FormValue("partition"), r.FormValue("node"))
			return
		}
		if err := b.Cluster.MoveTopicPartition(r.FormValue("topic"), int32(part), int32(node)); err != nil {
			httpError(w, http.StatusBadRequest, "move %s[%d] to node %d: %v", r.FormValue("topic"), part, node, err)
			return
		}
		writeJSON(w, http.StatusOK, b.State())
	})
	mux.HandleFunc("POST /retention/apply", func(w http.ResponseWriter, _ *http.Request) {
		b.Cluster.ApplyRetention()
		writeJSON(w, http.StatusOK, b.State())
	})
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func httpError(w http.ResponseWriter, code int, format string, args ...any) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprintf(w, format+"\n", args...)
}
