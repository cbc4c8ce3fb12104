using System.Net;
using System.Net.Sockets;
using MmProxy.Configuration;

namespace MmProxy.Routing;

/// <summary>
/// Which checks run when: `mmproxy check` runs all of them (including connects to the targets);
/// the proxy at startup runs only the cheap ones (capability probe, route lookups) and only warns.
/// </summary>
internal static class ProxyChecks
{
    /// <summary>
    /// Every check, in order: capabilities, then per client family routes and target connects, then
    /// with --tproxy our nft table and the fwmark route of its mark.
    /// </summary>
    public static async Task<IReadOnlyList<CheckResult>> RunAllAsync(ProxyOptions options, RoutingChecks checks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(checks);
        var results = new List<CheckResult>
        {
            RoutingChecks.Transparent(AddressFamily.InterNetwork),
            RoutingChecks.Transparent(AddressFamily.InterNetworkV6),
        };
        if (options.Mark != 0)
        {
            results.Add(RoutingChecks.MarkAllowed(options.Mark));
        }

        foreach ((AddressFamily family, IPEndPoint target) in Targets(options))
        {
            results.Add(await checks.ReturnRouteAsync(family, target, cancellationToken).ConfigureAwait(false));
            if (options.Mark != 0)
            {
                results.Add(await checks.MarkRouteAsync(family, options.Mark, cancellationToken).ConfigureAwait(false));
            }

            string label = family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";
            if (options.Protocol == TransportProtocol.Udp)
            {
                results.Add(CheckResult.Skipped($"{label} target {target}", "UDP targets are not probed (no handshake to wait for)"));
                continue;
            }

            if (family == AddressFamily.InterNetworkV6 && target.AddressFamily != AddressFamily.InterNetworkV6)
            {
                results.Add(CheckResult.Skipped($"{label} target {target}", $"IPv6 clients cannot be sent to the IPv4 target {target}"));
                continue;
            }

            CheckResult plain = await RoutingChecks.PlainConnectAsync(label, target, options.ConnectTimeout).ConfigureAwait(false);
            results.Add(plain);
            results.Add(plain.Status == CheckStatus.Ok
                ? await checks.SpoofedConnectAsync(family, target, options.Mark, options.ConnectTimeout).ConfigureAwait(false)
                : CheckResult.Skipped($"{label} target {target} (spoofed connect)", "the plain connect failed"));
        }

        if (checks.Tproxy is not null && checks.Recipe.Tproxy is { } tproxy)
        {
            results.AddRange(await checks.Tproxy.TableAsync(cancellationToken).ConfigureAwait(false));
            if (tproxy.Mark != options.Mark)
            {
                // The same mark as --mark: its route is checked above already.
                foreach (AddressFamily family in new[] { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 })
                {
                    results.Add(await checks.MarkRouteAsync(family, tproxy.Mark, "TPROXY", cancellationToken).ConfigureAwait(false));
                }
            }
        }

        return results;
    }

    /// <summary>The cheap subset for startup: no connects, a few `ip route get` lookups.</summary>
    public static async Task<IReadOnlyList<CheckResult>> RunStartupAsync(ProxyOptions options, RoutingChecks checks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(checks);
        var results = new List<CheckResult>
        {
            RoutingChecks.Transparent(AddressFamily.InterNetwork),
            RoutingChecks.Transparent(AddressFamily.InterNetworkV6),
        };
        var lookups = new List<Task<CheckResult>>();
        foreach ((AddressFamily family, IPEndPoint target) in Targets(options))
        {
            lookups.Add(checks.ReturnRouteAsync(family, target, cancellationToken));
            if (options.Mark != 0)
            {
                lookups.Add(checks.MarkRouteAsync(family, options.Mark, cancellationToken));
            }
        }

        results.AddRange(await Task.WhenAll(lookups).ConfigureAwait(false));
        return results;
    }

    public static bool AllPassed(IReadOnlyList<CheckResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        foreach (CheckResult result in results)
        {
            if (result.Status == CheckStatus.Failed)
            {
                return false;
            }
        }

        return true;
    }

    private static IEnumerable<(AddressFamily ClientFamily, IPEndPoint Target)> Targets(ProxyOptions options)
    {
        yield return (AddressFamily.InterNetwork, options.TargetV4);
        yield return (AddressFamily.InterNetworkV6, options.TargetV6);
    }
}
