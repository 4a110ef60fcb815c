-- Argo CD health check for kubeposture.io/SecurityBaseline (resource customization).
-- Maps the baseline's kstatus conditions to Argo CD health:
--   Progressing: no status yet, an older generation observed, Reconciling=True,
--                or Ready=False while work goes on (including deletion);
--   Degraded:    Stalled=True (invalid spec), Ready=False because reconciling failed,
--                or Compliant=False (drift kubeposture could not or may not repair);
--   Healthy:     Ready=True and Compliant=True for the current generation.
local function condition(t)
  if obj.status == nil or obj.status.conditions == nil then return nil end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == t then return c end
  end
  return nil
end
local function verdict(status, message)
  return { status = status, message = message }
end

if obj.status == nil or obj.status.observedGeneration == nil then
  return verdict("Progressing", "Waiting for kubeposture to observe the baseline")
end
if obj.metadata.generation ~= nil and obj.status.observedGeneration < obj.metadata.generation then
  return verdict("Progressing", "Waiting for kubeposture to observe generation " .. obj.metadata.generation)
end
local stalled = condition("Stalled")
if stalled ~= nil and stalled.status == "True" then
  return verdict("Degraded", stalled.message)
end
local ready = condition("Ready")
if ready ~= nil and ready.status == "False" and ready.reason == "ReconcileFailed" then
  return verdict("Degraded", ready.message)
end
local reconciling = condition("Reconciling")
if reconciling ~= nil and reconciling.status == "True" then
  return verdict("Progressing", reconciling.message)
end
if ready == nil then
  return verdict("Progressing", "Waiting for the Ready condition")
end
if ready.status ~= "True" then
  return verdict("Progressing", ready.message)
end
local compliant = condition("Compliant")
if compliant ~= nil and compliant.status == "False" then
  return verdict("Degraded", compliant.message)
end
return verdict("Healthy", ready.message)
