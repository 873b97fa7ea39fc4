-- wrk script: POST /v1/session, each call a login of a name nobody has, with a wrong
-- password. The server spends one argon2id hash on it all the same (comity-auth's
-- password::dummy_verify, so that an unknown name takes as long as a known one), then
-- counts the failure for that name. A fresh name each time, so no name is ever locked:
-- what a credential-stuffing run from many addresses costs the server.
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  n = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  n = n + 1
  local body = string.format(
    '{"username":"nobody-%d-%d-%d","password":"not the password of anyone","totp":"000000"}',
    id, n, math.random(1000000000))
  return wrk.format(nil, nil, nil, body)
end

-- Every answer is a 401; wrk counts them as "Non-2xx or 3xx responses".
