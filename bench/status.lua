-- wrk script: counts the answers by HTTP status and prints them when the run ends, so that
-- a benchmark says which statuses its "Non-2xx or 3xx responses" were.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + n
    end
  end
  local line = {}
  for status, n in pairs(total) do
    table.insert(line, status .. ": " .. n)
  end
  table.sort(line)
  io.write("statuses: " .. table.concat(line, ", ") .. "\n")
end
