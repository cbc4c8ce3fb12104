using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using MmProxy.Configuration;
using MmProxy.Configuration.Settings;

namespace MmProxy.Cli;

/// <summary>
/// The root command's options: go-mmproxy's flags with its defaults, mmproxy-rs's names as
/// aliases, and our additions as GNU long options; every tunable generated from its
/// <see cref="ListenerSettings"/> entry (name, default, limits, help). Turns a parse result into <see cref="ProxyOptions"/>.
/// </summary>
internal sealed class ProxyCommandLine
{
    public ProxyCommandLine()
    {
        Listen = new Option<IPEndPoint>("-l", "--listen-addr")
        {
            Description = "Address the proxy listens on",
            HelpName = "IP:PORT",
            DefaultValueFactory = _ => ProxyOptions.DefaultListen,
            CustomParser = ParseEndPoint,
        };
        TargetV4 = new Option<IPEndPoint>("-4", "--ipv4")
        {
            Description = "Address to which IPv4 traffic will be forwarded to",
            HelpName = "IP:PORT",
            DefaultValueFactory = _ => ProxyOptions.DefaultTargetV4,
            CustomParser = ParseEndPoint,
        };
        TargetV6 = new Option<IPEndPoint>("-6", "--ipv6")
        {
            Description = "Address to which IPv6 traffic will be forwarded to",
            HelpName = "IP:PORT",
            DefaultValueFactory = _ => ProxyOptions.DefaultTargetV6,
            CustomParser = ParseEndPoint,
        };
        Protocol = new Option<string>("-p", "--protocol")
        {
            Description = "Protocol that will be proxied: tcp, udp",
            HelpName = "tcp|udp",
            DefaultValueFactory = _ => "tcp",
            CustomParser = r => ParseChoice(r, "tcp", "udp"),
        };
        AllowedSubnets = new Option<string?>("--allowed-subnets", "-a")
        {
            Description = "Path to a file that contains allowed subnets of the proxy servers (one CIDR a line, # comments); without it every peer is allowed",
            HelpName = "PATH",
        };
        Verbose = new Option<int>("-v")
        {
            Description = "0 - no logging of individual connections; 1 - log errors occurring in individual connections; 2 - log all state changes of individual connections",
            HelpName = "0|1|2",
            DefaultValueFactory = _ => 0,
            CustomParser = r => (int)ParseInteger(r, 0, 2),
        };
        LogFormat = new Option<string>("--log-format")
        {
            Description = "Log output format: text, json",
            HelpName = "text|json",
            DefaultValueFactory = _ => "text",
            CustomParser = r => ParseChoice(r, "text", "json"),
        };
        foreach (Setting setting in ListenerSettings.All)
        {
            _tunables.Add(setting, setting switch
            {
                IntegerSetting integer => IntegerOption(integer),
                DurationSetting duration => DurationOption(duration),
                SwitchSetting @switch => SwitchOption(@switch),
                ChoiceSetting choice => ChoiceOption(choice),
                _ => throw new InvalidOperationException("no option kind for " + setting.Flag),
            });
        }
    }

    private readonly Dictionary<Setting, Option> _tunables = [];

    public Option<IPEndPoint> Listen { get; }
    public Option<IPEndPoint> TargetV4 { get; }
    public Option<IPEndPoint> TargetV6 { get; }
    public Option<string> Protocol { get; }
    public Option<string?> AllowedSubnets { get; }
    public Option<int> Verbose { get; }
    public Option<string> LogFormat { get; }

    /// <summary>Every option of one listener plus -v and --log-format (process-wide, allowed with --config).</summary>
    public IEnumerable<Option> All => [Listen, TargetV4, TargetV6, Protocol, AllowedSubnets, .. _tunables.Values, Verbose, LogFormat];

    /// <summary>The option generated for a tunable of <see cref="ListenerSettings"/>.</summary>
    public Option OptionFor(Setting setting) => _tunables[setting];

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (Option option in All)
        {
            command.Options.Add(option);
        }
    }

    /// <summary>Call only on a parse result without errors.</summary>
    public ProxyOptions ToProxyOptions(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        string? subnets = result.GetValue(AllowedSubnets);
        return new ProxyOptions
        {
            Protocol = result.GetValue(Protocol) == "udp" ? TransportProtocol.Udp : TransportProtocol.Tcp,
            ListenEndPoint = result.GetValue(Listen) ?? ProxyOptions.DefaultListen,
            TargetV4 = result.GetValue(TargetV4) ?? ProxyOptions.DefaultTargetV4,
            TargetV6 = result.GetValue(TargetV6) ?? ProxyOptions.DefaultTargetV6,
            AllowedSubnetsPath = string.IsNullOrEmpty(subnets) ? null : subnets,
            Listeners = Integer(result, ListenerSettings.Listeners),
            Mark = (uint)result.GetValue((Option<long?>)OptionFor(ListenerSettings.Mark))!.Value,
            CloseAfter = Duration(result, ListenerSettings.CloseAfter)!.Value,
            MaxUdpFlows = Integer(result, ListenerSettings.MaxUdpFlows),
            Verbosity = (Verbosity)result.GetValue(Verbose),
            HeaderTimeout = Duration(result, ListenerSettings.HeaderTimeout)!.Value,
            MaxHeaderSize = Integer(result, ListenerSettings.MaxHeaderSize),
            ConnectTimeout = Duration(result, ListenerSettings.ConnectTimeout)!.Value,
            IdleTimeout = Duration(result, ListenerSettings.IdleTimeout),
            Backlog = result.GetValue((Option<long?>)OptionFor(ListenerSettings.Backlog)) is { } backlog ? (int)backlog : null,
            LogFormat = result.GetValue(LogFormat) == "json" ? Configuration.LogFormat.Json : Configuration.LogFormat.Text,
            SpliceThreshold = Integer(result, ListenerSettings.SpliceThreshold),
            PipeSize = Integer(result, ListenerSettings.PipeSize),
            UdpGso = result.GetValue((Option<string>)OptionFor(ListenerSettings.UdpGso)) == "on",
            UdpHeader = UdpHeaderFormats.Parse(result.GetValue((Option<string>)OptionFor(ListenerSettings.UdpHeader))!),
        };
    }

    private int Integer(ParseResult result, IntegerSetting setting) =>
        setting.IntOrDefault(result.GetValue((Option<long?>)OptionFor(setting)));

    // "Off" parses as zero (System.CommandLine cannot carry a null out of a custom parser).
    private TimeSpan? Duration(ParseResult result, DurationSetting setting) =>
        result.GetResult(OptionFor(setting)) is { Implicit: false }
            ? result.GetValue((Option<TimeSpan?>)OptionFor(setting)) is { } value && value > TimeSpan.Zero ? value : null
            : setting.Default;

    private static Option<long?> IntegerOption(IntegerSetting setting)
    {
        var option = new Option<long?>(setting.Flag, [.. setting.Aliases])
        {
            Description = setting.Description,
            HelpName = setting.HelpName,
            Hidden = setting.Hidden,
            CustomParser = r => ParseInteger(r, setting.Min, setting.Max),
        };
        if (setting.Default is { } value)
        {
            option.DefaultValueFactory = _ => value;
        }

        return option;
    }

    private static Option<TimeSpan?> DurationOption(DurationSetting setting) => new(setting.Flag, [.. setting.Aliases])
    {
        Description = setting.Description,
        HelpName = setting.HelpName,
        Hidden = setting.Hidden,
        CustomParser = r => ParseDuration(r, setting),
    };

    // A string, not a bool: a bool option is a switch (no value) to Go's flag syntax.
    private static Option<string> SwitchOption(SwitchSetting setting) => new(setting.Flag, [.. setting.Aliases])
    {
        Description = setting.Description,
        HelpName = setting.HelpName,
        Hidden = setting.Hidden,
        DefaultValueFactory = _ => setting.Default ? "on" : "off",
        CustomParser = r =>
        {
            string? text = SingleToken(r);
            if (text is null || !SwitchSetting.TryParse(text, out bool value))
            {
                r.AddError($"{OptionName(r)}: invalid value '{text}': expected {setting.Expected}");
                return setting.Default ? "on" : "off";
            }

            return value ? "on" : "off";
        },
    };

    private static Option<string> ChoiceOption(ChoiceSetting setting) => new(setting.Flag, [.. setting.Aliases])
    {
        Description = setting.Description,
        HelpName = setting.HelpName,
        Hidden = setting.Hidden,
        DefaultValueFactory = _ => setting.Default,
        CustomParser = r =>
        {
            string? text = SingleToken(r);
            if (text is null || !setting.TryParse(text, out string value))
            {
                r.AddError($"{OptionName(r)}: invalid value '{text}': expected {setting.Expected}");
                return setting.Default;
            }

            return value;
        },
    };

    private static string OptionName(ArgumentResult result) =>
        result.Parent is OptionResult option ? option.IdentifierToken?.Value ?? option.Option.Name : result.Argument.Name;

    private static string? SingleToken(ArgumentResult result)
    {
        if (result.Tokens.Count == 0)
        {
            result.AddError($"{OptionName(result)}: a value is required");
            return null;
        }

        return result.Tokens[^1].Value;
    }

    private static IPEndPoint? ParseEndPoint(ArgumentResult result)
    {
        string? text = SingleToken(result);
        if (text is null)
        {
            return null;
        }

        if (!EndPointParser.TryParse(text, out IPEndPoint? endPoint, out string? problem))
        {
            result.AddError($"{OptionName(result)}: invalid address '{text}': {problem}");
            return null;
        }

        return endPoint;
    }

    private static string ParseChoice(ArgumentResult result, params string[] choices)
    {
        string? text = SingleToken(result);
        if (text is null)
        {
            return choices[0];
        }

        foreach (string choice in choices)
        {
            if (string.Equals(text, choice, StringComparison.OrdinalIgnoreCase))
            {
                return choice;
            }
        }

        result.AddError($"{OptionName(result)}: invalid value '{text}': expected {string.Join(" or ", choices)}");
        return choices[0];
    }

    // Go's flag package reads integers with base prefixes (0x10, 0o20, 020); so do we.
    private static long ParseInteger(ArgumentResult result, long min, long max)
    {
        string? text = SingleToken(result);
        if (text is null)
        {
            return min;
        }

        if (!TryParseGoInteger(text, out long value) || value < min || value > max)
        {
            result.AddError($"{OptionName(result)}: invalid value '{text}': expected an integer from {min} to {max}");
            return min;
        }

        return value;
    }

    internal static bool TryParseGoInteger(string text, out long value)
    {
        ReadOnlySpan<char> s = text.AsSpan().Trim();
        value = 0;
        bool negative = false;
        if (s.Length > 0 && (s[0] == '-' || s[0] == '+'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        s = RemoveUnderscores(s, out string? buffer) ? buffer.AsSpan() : s;
        bool ok;
        if (s.Length > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        {
            ok = long.TryParse(s[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }
        else if (s.Length > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
        {
            ok = TryParseOctal(s[2..], out value);
        }
        else if (s.Length > 1 && s[0] == '0')
        {
            ok = TryParseOctal(s[1..], out value);
        }
        else
        {
            ok = long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        }

        if (ok && negative)
        {
            value = -value;
        }

        return ok;
    }

    private static bool RemoveUnderscores(ReadOnlySpan<char> s, out string? result)
    {
        result = null;
        if (!s.Contains('_'))
        {
            return false;
        }

        result = s.ToString().Replace("_", string.Empty, StringComparison.Ordinal);
        return true;
    }

    private static bool TryParseOctal(ReadOnlySpan<char> s, out long value)
    {
        value = 0;
        if (s.IsEmpty || s.Length > 21)
        {
            return false;
        }

        foreach (char c in s)
        {
            if (c is < '0' or > '7')
            {
                return false;
            }

            value = (value * 8) + (c - '0');
        }

        return value >= 0;
    }

    private static TimeSpan? ParseDuration(ArgumentResult result, DurationSetting setting)
    {
        string? text = SingleToken(result);
        if (text is null)
        {
            return setting.Default;
        }

        if (!setting.TryParse(text, out TimeSpan? value))
        {
            result.AddError($"{OptionName(result)}: invalid duration '{text}': expected {setting.Expected}");
            return setting.Default;
        }

        return value ?? TimeSpan.Zero;
    }
}
