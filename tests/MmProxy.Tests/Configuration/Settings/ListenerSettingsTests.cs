using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using MmProxy.Cli;
using MmProxy.Configuration;
using MmProxy.Configuration.ConfigFile;
using MmProxy.Configuration.Settings;

namespace MmProxy.Tests.Configuration.Settings;

/// <summary>
/// One settings model: each tunable of <see cref="ListenerSettings"/> is a flag and a
/// configuration field with one default and one set of limits, and both readers agree on them.
/// </summary>
public sealed class ListenerSettingsTests
{
    public static TheoryData<string> IntegerFlags => [.. ListenerSettings.All.OfType<IntegerSetting>().Select(s => s.Flag)];

    public static TheoryData<string> DurationFlags => [.. ListenerSettings.All.OfType<DurationSetting>().Select(s => s.Flag)];

    private static IntegerSetting Integer(string flag) => ListenerSettings.All.OfType<IntegerSetting>().Single(s => s.Flag == flag);

    private static DurationSetting Duration(string flag) => ListenerSettings.All.OfType<DurationSetting>().Single(s => s.Flag == flag);

    private static ParseResult ParseFlags(params string[] args) =>
        CommandLineApp.Parse(CommandLineApp.CreateRootCommand(new ProxyCommandLine()), args);

    private static ConfigLoadResult ParseField(string field, string json) =>
        ConfigFileLoader.Parse($$"""{"listeners": [{"listen": "0.0.0.0:8443", "protocol": "udp", "{{field}}": {{json}}}]}""", "/etc/mmproxy/t.json", "/etc/mmproxy");

    [Theory]
    [MemberData(nameof(IntegerFlags))]
    public void An_integer_is_taken_at_its_limits_and_refused_past_them_by_flag_and_field(string flag)
    {
        IntegerSetting setting = Integer(flag);
        foreach (long ok in new[] { setting.Min, setting.Max })
        {
            string text = ok.ToString(CultureInfo.InvariantCulture);
            Assert.Empty(ParseFlags(flag, text).Errors);
            Assert.True(ParseField(setting.Field, text).Succeeded, ParseField(setting.Field, text).Error);
        }

        foreach (long bad in new[] { setting.Min - 1, setting.Max + 1 })
        {
            string text = bad.ToString(CultureInfo.InvariantCulture);
            ParseError flagError = Assert.Single(ParseFlags(flag, text).Errors);
            Assert.Contains(setting.Expected, flagError.Message, StringComparison.Ordinal);
            string? fieldError = ParseField(setting.Field, text).Error;
            Assert.NotNull(fieldError);
            Assert.Contains(setting.Expected, fieldError, StringComparison.Ordinal);
            Assert.Contains($"\"{setting.Field}\"", fieldError, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(DurationFlags))]
    public void A_duration_reads_the_same_from_a_flag_and_a_field(string flag)
    {
        DurationSetting setting = Duration(flag);
        Assert.Empty(ParseFlags(flag, "1500ms").Errors);
        Assert.True(ParseField(setting.Field, "\"1500ms\"").Succeeded);
        Assert.True(ParseField(setting.Field, "1.5").Succeeded);
        Assert.Equal(setting.CanBeOff, ParseFlags(flag, "0").Errors.Count == 0);
        Assert.Equal(setting.CanBeOff, ParseField(setting.Field, "0").Succeeded);
        Assert.NotEmpty(ParseFlags(flag, "366d").Errors);
        Assert.False(ParseField(setting.Field, "\"-1s\"").Succeeded);
    }

    [Fact]
    public void Flags_and_fields_give_the_same_settings_and_omitting_both_gives_the_defaults()
    {
        var cli = new ProxyCommandLine();
        ParseResult parsed = CommandLineApp.Parse(CommandLineApp.CreateRootCommand(cli), ["-p", "udp"]);
        ProxyOptions fromFlags = cli.ToProxyOptions(parsed);
        ProxyOptions fromFile = Assert.Single(ParseField("name", "\"x\"").Config!.Units()).Options;
        Assert.Equal(fromFlags with { Verbosity = default, LogFormat = default }, fromFile with { Verbosity = default, LogFormat = default });
        Assert.Equal(new ProxyOptions { Protocol = TransportProtocol.Udp }, fromFlags);
    }

    [Theory]
    [InlineData("v2", (int)UdpHeaderFormat.V2)]
    [InlineData("v2-first", (int)UdpHeaderFormat.V2First)]
    [InlineData("SPP", (int)UdpHeaderFormat.Spp)]
    public void The_udp_header_format_reads_the_same_from_the_flag_and_the_field(string name, int format)
    {
        var expected = (UdpHeaderFormat)format;
        var cli = new ProxyCommandLine();
        ParseResult parsed = CommandLineApp.Parse(CommandLineApp.CreateRootCommand(cli), ["-p", "udp", "--udp-header", name]);
        Assert.Empty(parsed.Errors);
        Assert.Equal(expected, cli.ToProxyOptions(parsed).UdpHeader);
        ConfigLoadResult file = ParseField("udpHeader", $"\"{name}\"");
        Assert.True(file.Succeeded, file.Error);
        Assert.Equal(expected, Assert.Single(file.Config!.Units()).Options.UdpHeader);
    }

    [Fact]
    public void An_unknown_udp_header_format_is_refused_with_the_choices_by_flag_and_field()
    {
        ParseError flagError = Assert.Single(ParseFlags("--udp-header", "v3").Errors);
        Assert.Contains("one of v2, v2-first, spp", flagError.Message, StringComparison.Ordinal);
        foreach (string json in new[] { "\"v3\"", "2" })
        {
            string? fieldError = ParseField("udpHeader", json).Error;
            Assert.NotNull(fieldError);
            Assert.Contains("\"udpHeader\"", fieldError, StringComparison.Ordinal);
            Assert.Contains("one of v2, v2-first, spp", fieldError, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Measurement_options_parse_but_stay_out_of_help()
    {
        var cli = new ProxyCommandLine();
        RootCommand root = CommandLineApp.CreateRootCommand(cli);
        ProxyOptions o = cli.ToProxyOptions(CommandLineApp.Parse(root, ["--splice-threshold", "0", "--pipe-size", "262144", "--udp-gso", "off"]));
        Assert.Equal((0, 262144, false), (o.SpliceThreshold, o.PipeSize, o.UdpGso));
        Assert.NotEmpty(CommandLineApp.Parse(root, ["--udp-gso", "maybe"]).Errors);

        foreach (Setting setting in ListenerSettings.All.Where(s => (s.Roles & SettingRoles.Receive) != 0))
        {
            Assert.Equal(setting.Hidden, cli.OptionFor(setting).Hidden);
        }

        ConfigLoadResult file = ConfigFileLoader.Parse(
            """{"listeners": [{"listen": "0.0.0.0:8443", "spliceThreshold": 0, "pipeSize": 262144, "udpGso": false}]}""", "/t.json", "/");
        ProxyOptions fromFile = Assert.Single(file.Config!.Units()).Options;
        Assert.Equal((0, 262144, false), (fromFile.SpliceThreshold, fromFile.PipeSize, fromFile.UdpGso));
    }

    [Fact]
    public void Every_field_is_known_to_the_configuration_file()
    {
        string? error = ConfigFileLoader.Parse("""{"listeners": [{"listen": "0.0.0.0:8443", "nonsense": 1}]}""", "/t.json", "/").Error;
        Assert.NotNull(error);
        foreach (Setting setting in ListenerSettings.All)
        {
            Assert.Contains(setting.Field, error, StringComparison.Ordinal);
        }
    }
}
