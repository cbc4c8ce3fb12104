using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using MmProxy.Configuration;
using MmProxy.ProxyProtocol;

namespace MmProxy.Cli;

/// <summary>
/// The root command's options: go-mmproxy's flags with its defaults, mmproxy-rs's names as
/// aliases, and our additions as GNU long options. Turns a parse result into <see cref="ProxyOptions"/>.
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
        Listeners = new Option<int>("--listeners")
        {
            Description = "Number of listener sockets that will be opened for the listen address (SO_REUSEPORT)",
            HelpName = "N",
            DefaultValueFactory = _ => 1,
            CustomParser = r => ParseInteger(r, 1, 1024),
        };
        Mark = new Option<long>("--mark", "-m")
        {
            Description = "The mark that will be set on outbound packets (SO_MARK); 0 = none",
            HelpName = "N",
            DefaultValueFactory = _ => 0,
            CustomParser = r => ParseInteger(r, 0, uint.MaxValue),
        };
        CloseAfter = new Option<TimeSpan?>("--close-after", "-c")
        {
            Description = "Number of seconds after which UDP socket will be cleaned up (default: 60)",
            HelpName = "SECONDS",
            CustomParser = r => ParseDuration(r, allowZero: false),
        };
        MaxUdpFlows = new Option<int>("--max-udp-flows")
        {
            Description = "Most UDP flows open at once; datagrams of new flows are dropped while the table is full",
            HelpName = "N",
            DefaultValueFactory = _ => ProxyOptions.DefaultMaxUdpFlows,
            CustomParser = r => ParseInteger(r, 1, 16_777_216),
        };
        Verbose = new Option<int>("-v")
        {
            Description = "0 - no logging of individual connections; 1 - log errors occurring in individual connections; 2 - log all state changes of individual connections",
            HelpName = "0|1|2",
            DefaultValueFactory = _ => 0,
            CustomParser = r => ParseInteger(r, 0, 2),
        };
        HeaderTimeout = new Option<TimeSpan?>("--header-timeout")
        {
            Description = "Time a connection has to deliver its PROXY header (default: 5s)",
            HelpName = "DURATION",
            CustomParser = r => ParseDuration(r, allowZero: false),
        };
        MaxHeaderSize = new Option<int>("--max-header-size")
        {
            Description = "Largest PROXY header accepted, in bytes (v2 TLVs included)",
            HelpName = "BYTES",
            DefaultValueFactory = _ => ProxyOptions.DefaultMaxHeaderSize,
            CustomParser = r => ParseInteger(r, ProxyHeaderParserOptions.MinimumMaxHeaderSize, ProxyHeaderParserOptions.LargestPossibleHeader),
        };
        ConnectTimeout = new Option<TimeSpan?>("--connect-timeout")
        {
            Description = "Time allowed to connect to the upstream service (default: 5s)",
            HelpName = "DURATION",
            CustomParser = r => ParseDuration(r, allowZero: false),
        };
        IdleTimeout = new Option<TimeSpan?>("--idle-timeout")
        {
            Description = "Close a connection when neither side sent anything for this long (default: off; 0 = off)",
            HelpName = "DURATION",
            CustomParser = r => ParseDuration(r, allowZero: true),
        };
        Backlog = new Option<int?>("--backlog")
        {
            Description = "Listen backlog (default: the kernel maximum, net.core.somaxconn)",
            HelpName = "N",
            CustomParser = r => ParseInteger(r, 1, int.MaxValue),
        };
        LogFormat = new Option<string>("--log-format")
        {
            Description = "Log output format: text, json",
            HelpName = "text|json",
            DefaultValueFactory = _ => "text",
            CustomParser = r => ParseChoice(r, "text", "json"),
        };
    }

    public Option<IPEndPoint> Listen { get; }
    public Option<IPEndPoint> TargetV4 { get; }
    public Option<IPEndPoint> TargetV6 { get; }
    public Option<string> Protocol { get; }
    public Option<string?> AllowedSubnets { get; }
    public Option<int> Listeners { get; }
    public Option<long> Mark { get; }
    public Option<TimeSpan?> CloseAfter { get; }
    public Option<int> MaxUdpFlows { get; }
    public Option<int> Verbose { get; }
    public Option<TimeSpan?> HeaderTimeout { get; }
    public Option<int> MaxHeaderSize { get; }
    public Option<TimeSpan?> ConnectTimeout { get; }
    public Option<TimeSpan?> IdleTimeout { get; }
    public Option<int?> Backlog { get; }
    public Option<string> LogFormat { get; }

    public IEnumerable<Option> All =>
    [
        Listen, TargetV4, TargetV6, Protocol, AllowedSubnets, Listeners, Mark, CloseAfter, MaxUdpFlows, Verbose,
        HeaderTimeout, MaxHeaderSize, ConnectTimeout, IdleTimeout, Backlog, LogFormat,
    ];

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
        TimeSpan? idle = result.GetValue(IdleTimeout);
        string? subnets = result.GetValue(AllowedSubnets);
        return new ProxyOptions
        {
            Protocol = result.GetValue(Protocol) == "udp" ? TransportProtocol.Udp : TransportProtocol.Tcp,
            ListenEndPoint = result.GetValue(Listen) ?? ProxyOptions.DefaultListen,
            TargetV4 = result.GetValue(TargetV4) ?? ProxyOptions.DefaultTargetV4,
            TargetV6 = result.GetValue(TargetV6) ?? ProxyOptions.DefaultTargetV6,
            AllowedSubnetsPath = string.IsNullOrEmpty(subnets) ? null : subnets,
            Listeners = result.GetValue(Listeners),
            Mark = (uint)result.GetValue(Mark),
            CloseAfter = result.GetValue(CloseAfter) ?? ProxyOptions.DefaultCloseAfter,
            MaxUdpFlows = result.GetValue(MaxUdpFlows),
            Verbosity = (Verbosity)result.GetValue(Verbose),
            HeaderTimeout = result.GetValue(HeaderTimeout) ?? ProxyOptions.DefaultHeaderTimeout,
            MaxHeaderSize = result.GetValue(MaxHeaderSize),
            ConnectTimeout = result.GetValue(ConnectTimeout) ?? ProxyOptions.DefaultConnectTimeout,
            IdleTimeout = idle is { } t && t > TimeSpan.Zero ? t : null,
            Backlog = result.GetValue(Backlog),
            LogFormat = result.GetValue(LogFormat) == "json" ? Configuration.LogFormat.Json : Configuration.LogFormat.Text,
        };
    }

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

    private static int ParseInteger(ArgumentResult result, int min, int max) =>
        (int)ParseInteger(result, min, (long)max);

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

    private static TimeSpan? ParseDuration(ArgumentResult result, bool allowZero)
    {
        string? text = SingleToken(result);
        if (text is null)
        {
            return null;
        }

        if (allowZero && string.Equals(text, "off", StringComparison.OrdinalIgnoreCase))
        {
            return TimeSpan.Zero;
        }

        if (!DurationParser.TryParse(text, out TimeSpan value) || (!allowZero && value <= TimeSpan.Zero))
        {
            result.AddError($"{OptionName(result)}: invalid duration '{text}': expected seconds or a number with ms, s, m or h (500ms, 5s, 1m){(allowZero ? string.Empty : ", greater than zero")}");
            return null;
        }

        return value;
    }
}
