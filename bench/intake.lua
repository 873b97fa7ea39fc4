-- wrk script: POST one signed submission per call to /v1/requests, each its own.
--
-- Every call is a full intake: the JWS checked (form, registered key, Ed25519 signature,
-- claims, replay), the caller authorised, the document parsed and screened, and the
-- request, its screening and its audit-log entries committed durably.
--
-- A jti is accepted once, so the submissions come from COMITY_BENCH_JWS, one compact JWS
-- a line (`comity request sign --count N`); thread i of COMITY_BENCH_THREADS sends lines
-- i, i + threads, ... in order. A thread that runs out starts again from its first line:
-- those are replays, refused, and counted as "sent beyond the supply" and non-201.
--
-- With COMITY_BENCH_JSON set instead, every call posts that document unsigned
-- (application/json), as intake was before issue 5: the baseline of bench/intake.sh.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  sent = 0
  non_created = 0
  beyond_supply = 0
  first_refusal = ""
  wrk.method = "POST"
  local json = os.getenv("COMITY_BENCH_JSON")
  if json then
    local f = assert(io.open(json, "r"))
    wrk.body = f:read("*a")
    f:close()
    wrk.headers["Content-Type"] = "application/json"
    supply = 0
    return
  end
  local path = assert(os.getenv("COMITY_BENCH_JWS"), "COMITY_BENCH_JWS names the file of signed submissions")
  local stride = tonumber(os.getenv("COMITY_BENCH_THREADS") or "2")
  bodies = {}
  local line_no = 0
  for line in io.lines(path) do
    if line_no % stride == id then bodies[#bodies + 1] = line end
    line_no = line_no + 1
  end
  assert(#bodies > 0, "no signed submission for thread " .. id)
  supply = #bodies
  wrk.headers["Content-Type"] = "application/jose"
  request = signed_request
end

function signed_request()
  sent = sent + 1
  if sent > #bodies then beyond_supply = beyond_supply + 1 end
  return wrk.format(nil, nil, nil, bodies[(sent - 1) % #bodies + 1])
end

function response(status, headers, body)
  if status ~= 201 then
    non_created = non_created + 1
    if first_refusal == "" then first_refusal = status .. " " .. string.sub(body or "", 1, 300) end
  end
end

function done(summary, latency, requests)
  local non, beyond, supply, first = 0, 0, 0, ""
  for _, thread in ipairs(threads) do
    non = non + thread:get("non_created")
    beyond = beyond + thread:get("beyond_supply")
    supply = supply + thread:get("supply")
    local f = thread:get("first_refusal")
    if first == "" and f ~= "" then first = f end
  end
  io.write(string.format("non-201 answers: %d (signed submissions: %d, sent beyond the supply: %d)\n",
    non, supply, beyond))
  if first ~= "" then io.write("first refusal: " .. first .. "\n") end
  io.write(string.format("latency p50 %.2f ms, p99 %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
