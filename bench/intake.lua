-- wrk script: POST one request document per call to /v1/requests.
-- Every call is a full intake: parse, check the parties, a durable commit.
local f = assert(io.open(os.getenv("COMITY_BENCH_DOC") or "examples/requests/eu-epoc-traffic.json", "r"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

local non_created = 0
response = function(status, headers, body)
  if status ~= 201 then non_created = non_created + 1 end
end

done = function(summary, latency, requests)
  io.write(string.format("non-201 answers: %d\n", summary.errors.status))
end
