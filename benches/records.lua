-- wrk script of benches/gateway.sh: POST /v1/records with fresh canonical
-- records on every request (unique message ids and record ids, so the gateway
-- stores each one: a repeated body would only measure duplicate detection).
--
-- wrk ... -s benches/records.lua URL -- KEY BATCH RUN [DELAY_MS]
--   KEY       the partner's API key
--   BATCH     records per request: 1 sends one message, more send {"messages": [...]}
--   RUN       a number unique to this run (part of every id)
--   DELAY_MS  if > 0, each connection waits this long after each answer before
--             its next request: connections * 1000 / DELAY_MS requests/s in all
--             while answers are fast (wrk has no fixed-rate mode; wrk2 does)

local next_thread = 1

function setup(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
end

local template = '{"kind":"record","header":{"message_id":"%s","correlation_id":"%s",'
  .. '"schema_version":"1.0"},"record_id":"%s","owner_country":"RS","owner_agency":"RS-MUP",'
  .. '"action":"create","version":1,"firearm":{"make":"Zastava","model":"M70",'
  .. '"serial_number":"Z-%s","calibre":"7.65mm Browning","firearm_type":"pistol"},'
  .. '"event":{"status":"stolen","date":"2025-03-14","place":{"country":"RS",'
  .. '"locality":"Novi Sad"}}}'

function init(args)
  seq = 0
  batch = tonumber(args[2]) or 100
  run = tonumber(args[3]) or 0
  local delay_ms = tonumber(args[4]) or 0
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. (args[1] or "")
  if delay_ms > 0 then
    -- Defined only when pacing: wrk then delays every request by this much.
    delay = function() return delay_ms end
  end
end

local function one()
  seq = seq + 1
  local id = string.format("%08x-%04x-4000-8000-%012x", run, thread_id, seq)
  local record_id = string.format("RS-MUP-B%08x-%d-%d", run, thread_id, seq)
  return string.format(template, id, id, record_id, record_id)
end

function request()
  local body
  if batch == 1 then
    body = one()
  else
    local parts = {}
    for i = 1, batch do
      parts[i] = one()
    end
    body = '{"messages":[' .. table.concat(parts, ",") .. "]}"
  end
  return wrk.format("POST", "/v1/records", nil, body)
end
