-- depends_on: {{ ref('int_indicators_suppressed') }}
-- The window digests int_indicators_suppressed was last built from: built after it, so a build
-- that fails before it leaves the previous record, and the next build redoes every window
-- changed since (macros/incremental.sql reads it by name).
select period_grain, period, inputs_digest
from {{ ref('int_indicator_window_inputs') }}
