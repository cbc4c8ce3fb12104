namespace MmProxy.Routing;

/// <summary>What a <see cref="RoutingStep"/> installs: a policy rule or a route in our table.</summary>
internal enum RoutingStepKind
{
    /// <summary>`ip rule`: sends matching traffic to our table.</summary>
    Rule,

    /// <summary>`ip route ... table N`: "local default dev lo", so replies are delivered locally.</summary>
    Route,
}
