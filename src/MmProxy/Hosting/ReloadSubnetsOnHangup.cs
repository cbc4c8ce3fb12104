using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Diagnostics;

namespace MmProxy.Hosting;

/// <summary>
/// Flags mode: SIGHUP re-reads the --allowed-subnets file and swaps the snapshot under the running
/// listeners (connections keep going; new ones are checked against the new list). A broken file is
/// logged and the previous list stays. RELOADING=1 … READY=1 around it for systemd.
/// </summary>
internal sealed class ReloadSubnetsOnHangup : IDisposable
{
    private readonly string? _path;
    private readonly AllowedSubnetsProvider _subnets;
    private readonly OperationsHost _operations;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private readonly PosixSignalRegistration _registration;

    public ReloadSubnetsOnHangup(string? path, AllowedSubnetsProvider subnets, OperationsHost operations, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(subnets);
        ArgumentNullException.ThrowIfNull(operations);
        ArgumentNullException.ThrowIfNull(log);
        _path = path;
        _subnets = subnets;
        _operations = operations;
        _log = log;
        _registration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnHangup);
    }

    private void OnHangup(PosixSignalContext context)
    {
        // Ours: the default action of SIGHUP would terminate the process.
        context.Cancel = true;
        _ = Task.Run(Reload);
    }

    /// <summary>Returns the status reported to systemd.</summary>
    public string Reload()
    {
        lock (_gate)
        {
            _operations.OnReloading();
            string status;
            if (_path is null)
            {
                ReloadLog.NothingToReload(_log);
                status = "Reloaded: no allowed subnets file";
            }
            else
            {
                AllowedSubnetsLoadResult loaded = AllowedSubnetsLoader.LoadFile(_path);
                foreach (string warning in loaded.Warnings)
                {
                    ProxyLog.ConfigurationWarning(_log, warning);
                }

                if (loaded.Subnets is { } next)
                {
                    _subnets.Replace(next);
                    ReloadLog.SubnetsReloaded(_log, _path, next.Networks.Count);
                    status = "Reloaded the allowed subnets";
                }
                else
                {
                    ReloadLog.ReloadRejected(_log, loaded.Error!);
                    status = "Reload rejected (previous allowed subnets kept): " + loaded.Error;
                }
            }

            _operations.OnReloaded(status);
            return status;
        }
    }

    public void Dispose() => _registration.Dispose();
}
