-- depends_on: {{ ref('int_pairs_aggregated') }}
-- depends_on: {{ ref('int_pair_indicators_unpivoted') }}
-- depends_on: {{ ref('int_end_questionnaire_indicators_aggregated') }}
-- The month digests the incremental models were last built from: built after them, so
-- a build that fails before it leaves the previous record, and the next build redoes every
-- month changed since (docs/performance.md#incremental-builds; macros/incremental.sql reads
-- it by name, as the models it follows cannot ref it).
select month, inputs_digest
from {{ ref('int_month_inputs') }}
