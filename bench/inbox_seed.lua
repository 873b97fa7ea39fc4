-- wrk script: POST each signed submission of COMITY_BENCH_JWS once to /v1/requests, then
-- GET /healthz only. Thread i of COMITY_BENCH_THREADS sends lines i, i + threads, ...;
-- bench/inbox.sh stops wrk once the store holds one request a line.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local path = assert(os.getenv("COMITY_BENCH_JWS"), "COMITY_BENCH_JWS names the file of signed submissions")
  local stride = tonumber(os.getenv("COMITY_BENCH_THREADS") or "2")
  bodies = {}
  local line_no = 0
  for line in io.lines(path) do
    if line_no % stride == id then bodies[#bodies + 1] = line end
    line_no = line_no + 1
  end
  sent, answered, refused = 0, 0, 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/jose"
end

function request()
  sent = sent + 1
  -- Past the supply, while other connections wait for their last answers: a cheap GET
  -- /healthz (200), not counted.
  if sent > #bodies then return wrk.format("GET", "/healthz", {}, nil) end
  return wrk.format(nil, nil, nil, bodies[sent])
end

function response(status, headers, body)
  if status == 200 then return end
  answered = answered + 1
  if status ~= 201 then refused = refused + 1 end
end
