using System.CommandLine;
using System.CommandLine.Parsing;
using MmProxy.Cli;

namespace MmProxy.Routing;

/// <summary>
/// `--tproxy PORTS --to PORT [--tproxy-mark N]` (and, for `routing`, `-p tcp|udp|both`) on the
/// routing and check commands: parsed, validated together, turned into a <see cref="TproxySpec"/>.
/// </summary>
internal sealed class TproxyOptions
{
    public TproxyOptions(bool withProtocol)
    {
        Ports = new Option<PortSet?>("--tproxy")
        {
            Description = "Also divert connections to these ports, whatever their destination address, to the transparent listener " +
                "on --to: an nft table inet mmproxy (tproxy) and a fwmark rule into the table. PORTS: 443, 10000-10999 or 80,443,10000-10999",
            HelpName = "PORTS",
            CustomParser = ParsePorts,
        };
        To = new Option<int?>("--to")
        {
            Description = "With --tproxy: the port the transparent mmproxy listener listens on",
            HelpName = "PORT",
            CustomParser = r => (int)SettingOptions.ParseInteger(r, 1, 65535),
        };
        Mark = new Option<long>("--tproxy-mark")
        {
            Description = "With --tproxy: the fwmark the nft rules set and the fwmark rule routes locally",
            HelpName = "N",
            DefaultValueFactory = _ => TproxySpec.DefaultMark,
            CustomParser = r => SettingOptions.ParseInteger(r, 1, uint.MaxValue),
        };
        Protocol = withProtocol
            ? new Option<string>("-p", "--protocol")
            {
                Description = "With --tproxy: the protocols it diverts (tcp, udp, both)",
                HelpName = "tcp|udp|both",
                DefaultValueFactory = _ => "tcp",
                CustomParser = r => SettingOptions.ParseChoice(r, "tcp", "udp", "both"),
            }
            : null;
    }

    public Option<PortSet?> Ports { get; }

    public Option<int?> To { get; }

    public Option<long> Mark { get; }

    /// <summary>Only on `routing`: `check` takes the protocol from the proxy's own -p.</summary>
    public Option<string>? Protocol { get; }

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(Ports);
        command.Options.Add(To);
        command.Options.Add(Mark);
        if (Protocol is not null)
        {
            command.Options.Add(Protocol);
        }

        command.Validators.Add(Validate);
    }

    /// <summary>The spec asked for, or null without --tproxy. <paramref name="protocols"/> overrides -p (for `check`).</summary>
    public TproxySpec? ToSpec(ParseResult result, TproxyProtocols? protocols = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.GetValue(Ports) is not { } ports || result.GetValue(To) is not { } to)
        {
            return null;
        }

        TproxyProtocols chosen = protocols ?? (Protocol is null ? TproxyProtocols.Tcp : result.GetValue(Protocol) switch
        {
            "udp" => TproxyProtocols.Udp,
            "both" => TproxyProtocols.Both,
            _ => TproxyProtocols.Tcp,
        });
        return new TproxySpec(ports, to, chosen, (uint)result.GetValue(Mark));
    }

    private void Validate(CommandResult result)
    {
        bool ports = result.GetResult(Ports) is { Implicit: false };
        bool to = result.GetResult(To) is { Implicit: false };
        if (ports && !to)
        {
            result.AddError("--tproxy needs --to PORT: the port the transparent mmproxy listener listens on");
        }
        else if (to && !ports)
        {
            result.AddError("--to goes with --tproxy PORTS: the ports whose traffic goes to that listener");
        }

        if (!ports && result.GetResult(Mark) is { Implicit: false })
        {
            result.AddError("--tproxy-mark goes with --tproxy PORTS --to PORT");
        }

        if (!ports && Protocol is not null && result.GetResult(Protocol) is { Implicit: false })
        {
            result.AddError("-p chooses what --tproxy diverts: add --tproxy PORTS --to PORT");
        }
    }

    private static PortSet? ParsePorts(ArgumentResult result)
    {
        string? text = SettingOptions.SingleToken(result);
        if (text is null)
        {
            return null;
        }

        if (PortSet.TryParse(text, out PortSet set, out string error))
        {
            return set;
        }

        result.AddError($"{SettingOptions.OptionName(result)}: invalid value '{text}': {error}");
        return null;
    }
}
