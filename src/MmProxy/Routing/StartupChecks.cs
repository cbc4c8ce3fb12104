using Microsoft.Extensions.Logging;
using MmProxy.Configuration;

namespace MmProxy.Routing;

/// <summary>
/// Runs the cheap checks beside startup (never before listening, so they cost no startup time) and
/// logs one line each; a failure is a warning, not a reason to exit: the operator may be fixing the
/// routing right now.
/// </summary>
internal static class StartupChecks
{
    public static async Task RunAsync(ProxyOptions options, int table, ILogger log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        try
        {
            var checks = new RoutingChecks(new IpCommand(), new RoutingRecipe(table, options.Mark));
            foreach (CheckResult result in await ProxyChecks.RunStartupAsync(options, checks, cancellationToken).ConfigureAwait(false))
            {
                RoutingLog.Log(log, result);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped before the checks finished: nothing to report.
        }
#pragma warning disable CA1031 // A diagnostic must never take the proxy down.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            RoutingLog.ChecksCrashed(log, ex.Message);
        }
    }
}
