// What the reserve and lease scripts share: a scope's state as a reservation sees it, with a budget
// period the caller knows to be newer starting from zero spend, and a rate window that ended started
// afresh at `now`. Nothing is written here; the scripts write what they reserve.
export const ROLL_SCOPE_STATE = `
local function rollScopeState(st, sc, now, windowMs)
  st.newPeriod = false
  if st.period and sc.p > st.period then
    st.spent = 0
    st.newPeriod = true
  end
  st.rolled = false
  if not st.ws or now - st.ws >= windowMs then
    st.ws = now
    st.wr = 0
    st.wt = 0
    st.rolled = true
  end
end
`;
