using MmProxy.Configuration;

namespace MmProxy.Tests.Configuration;

public sealed class DurationParserTests
{
    [Theory]
    [InlineData("5", 5000)]
    [InlineData("1.5", 1500)]
    [InlineData("500ms", 500)]
    [InlineData("5s", 5000)]
    [InlineData("1m", 60000)]
    [InlineData("2h", 7_200_000)]
    [InlineData("0", 0)]
    [InlineData(" 10s ", 10000)]
    public void Parses_seconds_and_suffixes(string text, long expectedMs)
    {
        Assert.True(DurationParser.TryParse(text, out TimeSpan value));
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("s")]
    [InlineData("-1")]
    [InlineData("5x")]
    [InlineData("1e3")]
    [InlineData("five")]
    [InlineData("5 s s")]
    [InlineData("99999999h")]
    public void Rejects_garbage(string text) => Assert.False(DurationParser.TryParse(text, out _));

    [Theory]
    [InlineData(500, "500ms")]
    [InlineData(5000, "5s")]
    [InlineData(60000, "1m")]
    [InlineData(90000, "90s")]
    public void Formats_shortest_exact_unit(long ms, string expected) =>
        Assert.Equal(expected, DurationParser.Format(TimeSpan.FromMilliseconds(ms)));
}
