using System.CommandLine;
using MmProxy.Configuration;
using MmProxy.Configuration.Settings;
using MmProxy.Hosting;

namespace MmProxy.Cli;

/// <summary>
/// <c>mmproxy send</c>: the load balancer's side. Accepts plain TCP connections or UDP datagrams
/// and forwards them to -r REMOTE with a header naming the client, through the same host and
/// engines as the receiving side.
/// </summary>
internal static class SendCommand
{
    public static Command Create()
    {
        var options = new ProxyCommandLine(ListenerRole.Send);
        var command = new Command(
            "send",
            "Send side: accept plain connections (TCP) or datagrams (UDP), forward them to --remote with a PROXY header " +
            "naming the client (v1 or v2; for UDP v2 on every datagram or SPP). Needs no CAP_NET_ADMIN. Pair it with mmproxy " +
            "beside the service, or any receiver of the PROXY protocol.");
        options.AddTo(command);
        var operations = new OperationsCommandLine();
        operations.AddTo(command);
        command.Validators.Add(result =>
        {
            if (result.GetResult(options.Remote) is null)
            {
                result.AddError("-r (--remote) is required: the address of the receiving side, for example -r 192.0.2.10:8443");
            }

            string protocol = result.GetValue(options.Protocol) ?? "tcp";
            string header = result.GetValue((Option<string>)options.OptionFor(ListenerSettings.SendHeader)) ?? "v2";
            if (header == "v1" && protocol == "udp")
            {
                result.AddError("--header v1 is TCP only (v1 has no datagram families): use --header v2 or spp with -p udp");
            }
            else if (header == "spp" && protocol == "tcp")
            {
                result.AddError("--header spp is UDP only: use --header v1 or v2 with -p tcp");
            }

            bool tlvs = result.GetValue((Option<bool>)options.OptionFor(ListenerSettings.Crc32C))
                || result.GetValue((Option<bool>)options.OptionFor(ListenerSettings.UniqueId));
            if (tlvs && header != "v2")
            {
                result.AddError("--crc32c and --unique-id are TLVs of PROXY v2: use them with --header v2");
            }
        });
        command.SetAction((parseResult, cancellationToken) =>
        {
            ProxyOptions proxy = options.ToProxyOptions(parseResult);
            return ProxyHost.RunAsync(new FlagsConfigSource(proxy), proxy.Verbosity, proxy.LogFormat, operations.ToOperationsOptions(parseResult), cancellationToken);
        });
        return command;
    }
}
