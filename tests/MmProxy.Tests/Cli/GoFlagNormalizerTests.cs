using MmProxy.Cli;

namespace MmProxy.Tests.Cli;

public sealed class GoFlagNormalizerTests
{
    private static readonly GoFlagNormalizer Normalizer = new(CommandLineApp.CreateRootCommand(new ProxyCommandLine()));

    private static string[] Normalize(params string[] args) => Normalizer.Normalize(args);

    [Theory]
    [InlineData(new[] { "-l", "0.0.0.0:1" }, new[] { "-l", "0.0.0.0:1" })]
    [InlineData(new[] { "--l", "0.0.0.0:1" }, new[] { "-l", "0.0.0.0:1" })]
    [InlineData(new[] { "-l=0.0.0.0:1" }, new[] { "-l", "0.0.0.0:1" })]
    [InlineData(new[] { "--l=0.0.0.0:1" }, new[] { "-l", "0.0.0.0:1" })]
    [InlineData(new[] { "-allowed-subnets", "f" }, new[] { "--allowed-subnets", "f" })]
    [InlineData(new[] { "-allowed-subnets=f" }, new[] { "--allowed-subnets", "f" })]
    [InlineData(new[] { "--allowed-subnets=f" }, new[] { "--allowed-subnets", "f" })]
    [InlineData(new[] { "-6=[::1]:443" }, new[] { "-6", "[::1]:443" })]
    [InlineData(new[] { "-mark=0x10", "-listeners", "4" }, new[] { "--mark", "0x10", "--listeners", "4" })]
    [InlineData(new[] { "-header-timeout=500ms" }, new[] { "--header-timeout", "500ms" })]
    [InlineData(new[] { "-help" }, new[] { "--help" })]
    [InlineData(new[] { "-h" }, new[] { "--help" })]
    [InlineData(new[] { "-version" }, new[] { "--version" })]
    public void Rewrites_go_syntax_to_canonical_tokens(string[] input, string[] expected) =>
        Assert.Equal(expected, Normalize(input));

    [Fact]
    public void Values_are_copied_verbatim_even_when_they_look_like_flags()
    {
        Assert.Equal(new[] { "--allowed-subnets", "-l=x", "-v", "-1" }, Normalize(["-allowed-subnets", "-l=x", "-v", "-1"]));
    }

    [Fact]
    public void Repeated_flags_keep_only_the_last_occurrence_across_aliases()
    {
        Assert.Equal(new[] { "-p", "tcp", "-v", "2", "--allowed-subnets", "b" },
            Normalize(["-v", "1", "-a", "a", "-p", "tcp", "-v=2", "--allowed-subnets=b"]));
    }

    [Fact]
    public void Options_of_other_areas_get_every_spelling_too()
    {
        Assert.Equal(new[] { "--metrics", "127.0.0.1:9100", "--shutdown-timeout", "5s", "--config", "c.json" },
            Normalize(["-metrics=127.0.0.1:9100", "--shutdown-timeout", "5s", "-config", "c.json"]));
    }

    [Fact]
    public void Boolean_switches_do_not_take_the_next_token()
    {
        Assert.Equal(new[] { "--quiet", "-v", "1" }, Normalize(["-quiet", "-v", "1"]));
        Assert.Equal(new[] { "--quiet", "false" }, Normalize(["--quiet=false"]));
    }

    [Fact]
    public void Value_may_contain_equals_signs()
    {
        Assert.Equal(new[] { "--allowed-subnets", "a=b" }, Normalize(["-allowed-subnets=a=b"]));
    }

    [Fact]
    public void Unknown_flags_and_everything_after_double_dash_are_left_alone()
    {
        Assert.Equal(new[] { "-bogus=1", "--", "-l=x" }, Normalize(["-bogus=1", "--", "-l=x"]));
    }

    [Fact]
    public void Subcommand_arguments_are_not_rewritten()
    {
        Assert.Equal(new[] { "inspect", "-l=x" }, Normalize(["inspect", "-l=x"]));
    }
}
