{#-
    Incremental builds (docs/performance.md#incremental-builds). An inputs model holds one
    digest per key of what an incremental model reads (int_month_inputs per calendar month,
    int_pair_month_inputs per month and association, int_mispe_youth_inputs per youth,
    int_indicator_window_inputs per window); a built model, built after the incremental
    models, records the digests they were last built from (int_months_built,
    int_pair_months_built, int_mispe_youth_built, int_indicator_windows_built). A key is changed
    when its digest differs from the recorded one, or has no counterpart; without a record,
    every key is changed. The incremental models delete the rows of what changed (pre-hook),
    then append them recomputed:
    - by window (period_grain, period): a window is rebuilt when it covers a changed month or
      is no longer in the calendar;
    - by window and association: an association's rows of a window are rebuilt when the
      window covers a month whose pairs of that association changed, or a month new to the
      calendar (then every association's);
    - by youth: a changed youth's rows are all rebuilt;
    - by window of indicator cells: a window is rebuilt when its cells changed.
-#}

{#- An inputs model's digest of a key's rows: the sum of a hash of each row's values
    (values_sql, macro hash_sum), with the project's code and what else the model reads
    whatever its rows (`also`: a variable). -#}
{% macro inputs_digest(values_sql, also=[]) -%}
    {%- set read_by_every_key = ([var('sources_fingerprint')] + also) | join('|') -%}
    md5('{{ read_by_every_key }}|' || {{ hash_sum(values_sql) }})
{%- endmacro %}

{#- A built model, found by name: the models it follows cannot ref it (a cycle). -#}
{% macro built_relation(built_model) -%}
    {{ return(adapter.get_relation(
        database=this.database, schema=this.schema, identifier=built_model
    )) }}
{%- endmacro %}

{#- The keys (a column, or a list of columns) whose digest changed. -#}
{% macro changed_keys(inputs_model, built_model, keys) -%}
    {%- set keys = [keys] if keys is string else keys -%}
    {%- set built = built_relation(built_model) -%}
    select {% for key in keys %}current_inputs.{{ key }}{{ ', ' if not loop.last }}{% endfor %}
    from {{ ref(inputs_model) }} as current_inputs
    {%- if built is not none %}
    left join {{ built }} as built
        on {% for key in keys %}built.{{ key }} = current_inputs.{{ key }} and {% endfor %}built.inputs_digest = current_inputs.inputs_digest
    where built.{{ keys[0] }} is null
    union
    select {% for key in keys %}built.{{ key }}{{ ', ' if not loop.last }}{% endfor %}
    from {{ built }} as built
    left join {{ ref(inputs_model) }} as current_inputs
        on {% for key in keys %}current_inputs.{{ key }} = built.{{ key }}{{ ' and ' if not loop.last }}{% endfor %}
    where current_inputs.{{ keys[0] }} is null
    {%- endif %}
{%- endmacro %}

{% macro changed_months() -%}
    {{ changed_keys('int_month_inputs', 'int_months_built', 'month') }}
{%- endmacro %}

{#- The windows of the calendar that cover no changed month: their rows are kept. -#}
{% macro unchanged_windows() -%}
    select windows.period_grain, windows.period
    from {{ ref('int_period_windows') }} as windows
    where not exists (
        select 1
        from ({{ changed_months() }}) as changed
        where changed.month between windows.window_start and windows.window_end
    )
{%- endmacro %}

{% macro is_window_rebuilt(alias) -%}
    not exists (
        select 1
        from ({{ unchanged_windows() }}) as unchanged
        where unchanged.period_grain = {{ alias }}.period_grain
            and unchanged.period = {{ alias }}.period
    )
{%- endmacro %}

{#- An incremental model's rows of `alias` restricted to the rebuilt windows. -#}
{% macro where_window_rebuilt(alias) -%}
    {%- if is_incremental() %}
    where {{ is_window_rebuilt(alias) }}
    {%- endif %}
{%- endmacro %}

{#- The pre-hook of the incremental models: their rebuilt windows' rows go. -#}
{% macro delete_rebuilt_windows() -%}
    {%- if is_incremental() %}
    delete from {{ this }} as built_rows
    where {{ is_window_rebuilt('built_rows') }}
    {%- endif %}
{%- endmacro %}

{#- The calendar's months no build has recorded yet: the windows covering them are new. -#}
{% macro new_months() -%}
    {%- set built = built_relation('int_months_built') -%}
    select current_inputs.month
    from {{ ref('int_month_inputs') }} as current_inputs
    {%- if built is not none %}
    where not exists (select 1 from {{ built }} as built where built.month = current_inputs.month)
    {%- endif %}
{%- endmacro %}

{#- The (window, association) whose pairs an incremental build snapshots again. -#}
{% macro rebuilt_association_windows() -%}
    select windows.period_grain, windows.period, changed.association_code
    from {{ ref('int_period_windows') }} as windows
    inner join ({{ changed_keys(
        'int_pair_month_inputs', 'int_pair_months_built', ['month', 'association_code']
    ) }}) as changed
        on changed.month between windows.window_start and windows.window_end
    union
    select windows.period_grain, windows.period, associations.association_code
    from {{ ref('int_period_windows') }} as windows
    inner join ({{ new_months() }}) as new_months
        on new_months.month between windows.window_start and windows.window_end
    cross join (
        select distinct association_code from {{ ref('int_pair_month_inputs') }}
    ) as associations
{%- endmacro %}

{#- An incremental build's join of `alias` (period_grain, period, association_code) to the
    (window, association) it rebuilds. -#}
{% macro join_association_windows_rebuilt(window_alias, association_sql) -%}
    {%- if is_incremental() %}
    inner join ({{ rebuilt_association_windows() }}) as rebuilt
        on rebuilt.period_grain = {{ window_alias }}.period_grain
        and rebuilt.period = {{ window_alias }}.period
        and rebuilt.association_code = {{ association_sql }}
    {%- endif %}
{%- endmacro %}

{#- The pre-hook of the models incremental by window and association: the rebuilt
    (window, association) rows go, and those of windows no longer in the calendar. -#}
{% macro delete_rebuilt_association_windows() -%}
    {%- if is_incremental() %}
    delete from {{ this }} as built_rows
    where not exists (
            select 1
            from {{ ref('int_period_windows') }} as windows
            where windows.period_grain = built_rows.period_grain
                and windows.period = built_rows.period
        )
        or exists (
            select 1
            from ({{ rebuilt_association_windows() }}) as rebuilt
            where rebuilt.period_grain = built_rows.period_grain
                and rebuilt.period = built_rows.period
                and rebuilt.association_code = built_rows.association_code
        )
    {%- endif %}
{%- endmacro %}

{#- The rows of `alias` whose key (a column, or a list of columns) has a changed digest
    (inputs_model against built_model), in an incremental build: by youth
    (int_mispe_youth_inputs), by window of cells (int_indicator_window_inputs). -#}
{% macro where_digest_changed(alias, inputs_model, built_model, keys) -%}
    {%- set keys = [keys] if keys is string else keys -%}
    {%- if is_incremental() %}
    where exists (
        select 1
        from ({{ changed_keys(inputs_model, built_model, keys) }}) as changed
        where {% for key in keys %}changed.{{ key }} = {{ alias }}.{{ key }}{{ ' and ' if not loop.last }}{% endfor %}
    )
    {%- endif %}
{%- endmacro %}

{#- The pre-hook of the models incremental by a digest's key: the changed keys' rows go. -#}
{% macro delete_digest_changed(inputs_model, built_model, keys) -%}
    {%- if is_incremental() %}
    delete from {{ this }} as built_rows
    {{ where_digest_changed('built_rows', inputs_model, built_model, keys) }}
    {%- endif %}
{%- endmacro %}

{#-
    The rows of an incremental model this build wrote: in a build, those of its invocation
    (the kept rows were checked by the build that wrote them, and the rebuilt ones are
    disjoint from them by key: window, window and association, youth); outside a build
    (`dbt test`), every row.
-#}
{% macro rebuilt_rows() -%}
    {{ return("dbt_invocation_id = '" ~ invocation_id ~ "'" if flags.WHICH == 'build' else 'true') }}
{%- endmacro %}

{#-
    A test of an incremental model checks only the rows this build wrote (rebuilt_rows): its
    `where` config is `__rebuilt_rows__`. dbt's default where-subquery otherwise.
-#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where and '__rebuilt_rows__' in where -%}
        {%- set where = where | replace('__rebuilt_rows__', rebuilt_rows()) -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
