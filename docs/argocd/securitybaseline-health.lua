-- Argo CD health check for kubeposture.io/SecurityBaseline (resource customization).
-- Maps the baseline's kstatus conditions to Argo CD health:
--   Progressing: no status yet, an older generation observed, Reconciling=True,
--                or Ready=False while work goes on (including deletion);
--   Degraded:    Stalled=True (invalid spec), Ready=False because reconciling failed,
--                or Compliant=False (drift kubeposture could not or may not repair);
--   Healthy:     Ready=True and Compliant=True for the current generation.
local hs = {}
local function condition(t)
  if obj.status == nil or obj.status.conditions == nil then return nil end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == t then return c end
  end
  return nil
end

if obj.status == nil or obj.status.observedGeneration == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for kubeposture to observe the baseline"
  return hs
end
if obj.metadata.generation ~= nil and obj.status.observedGeneration < obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for kubeposture to observe generation " .. obj.metadata.generation
  return hs
end

local stalled = condition("Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = stalled.message
  return hs
end
local ready = condition("Ready")
if ready ~= nil and ready.status == "False" and ready.reason == "ReconcileFailed" then
  hs.status = "Degraded"
  hs.message = ready.message
  return hs
end
local reconciling = condition("Reconciling")
if reconciling ~= nil and reconciling.status == "True" then
  hs.status = "Progressing"
  hs.message = reconciling.message
  return hs
end
if ready == nil or ready.status ~= "True" then
  hs.status = "Progressing"
  if ready ~= nil then hs.message = ready.message else hs.message = "Waiting for the Ready condition" end
  return hs
end
local compliant = condition("Compliant")
if compliant ~= nil and compliant.status == "False" then
  hs.status = "Degraded"
  hs.message = compliant.message
  return hs
end
hs.status = "Healthy"
hs.message = ready.message
return hs
