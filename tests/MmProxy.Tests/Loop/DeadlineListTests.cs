using MmProxy.Loop;

namespace MmProxy.Tests.Loop;

public sealed class DeadlineListTests
{
    private sealed class Item(string name)
    {
        public string Name { get; } = name;

        public DeadlineNode<Item> Node { get; } = null!;

        public static (Item Item, DeadlineNode<Item> Node) Create(string name)
        {
            var item = new Item(name);
            return (item, new DeadlineNode<Item>(item));
        }

        public override string ToString() => Name;
    }

    [Fact]
    public void Expires_in_deadline_order_and_only_when_due()
    {
        var list = new DeadlineList<Item>();
        var (a, na) = Item.Create("a");
        var (b, nb) = Item.Create("b");
        var (_, nc) = Item.Create("c");
        list.Schedule(na, 10);
        list.Schedule(nb, 20);
        list.Schedule(nc, 30);

        Assert.Equal(10, list.NextDeadline);
        Assert.False(list.TryTakeExpired(9, out _));
        Assert.True(list.TryTakeExpired(20, out Item? first));
        Assert.Same(a, first);
        Assert.True(list.TryTakeExpired(20, out Item? second));
        Assert.Same(b, second);
        Assert.False(list.TryTakeExpired(20, out _));
        Assert.Equal(1, list.Count);
        Assert.False(na.IsScheduled);
        Assert.True(nc.IsScheduled);
    }

    [Fact]
    public void Cancelling_the_head_middle_and_tail_keeps_the_links()
    {
        var list = new DeadlineList<Item>();
        var nodes = Enumerable.Range(0, 5).Select(i => Item.Create(i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();
        for (int i = 0; i < nodes.Length; i++)
        {
            list.Schedule(nodes[i].Node, i);
        }

        nodes[0].Node.Cancel();
        nodes[2].Node.Cancel();
        nodes[4].Node.Cancel();
        nodes[4].Node.Cancel(); // Not scheduled any more: nothing happens.

        Assert.Equal(2, list.Count);
        Assert.True(list.TryTakeExpired(100, out Item? one));
        Assert.Same(nodes[1].Item, one);
        Assert.True(list.TryTakeExpired(100, out Item? three));
        Assert.Same(nodes[3].Item, three);
        Assert.False(list.TryTakeExpired(100, out _));
        Assert.Equal(long.MaxValue, list.NextDeadline);
        Assert.Null(list.First);
    }

    [Fact]
    public void Scheduling_in_another_list_moves_the_node_there()
    {
        var first = new DeadlineList<Item>();
        var second = new DeadlineList<Item>();
        var (item, node) = Item.Create("x");
        first.Schedule(node, 5);
        second.Schedule(node, 7);

        Assert.Equal(0, first.Count);
        Assert.Equal(1, second.Count);
        Assert.True(second.TryTakeExpired(7, out Item? taken));
        Assert.Same(item, taken);
    }

    [Fact]
    public void Rescheduling_moves_a_node_to_the_tail_and_an_earlier_deadline_walks_back()
    {
        var list = new DeadlineList<Item>();
        var (a, na) = Item.Create("a");
        var (b, nb) = Item.Create("b");
        var (c, nc) = Item.Create("c");
        list.Schedule(na, 10);
        list.Schedule(nb, 30);
        list.Schedule(nc, 20); // Earlier than the tail: placed between a and b.
        list.Schedule(na, 40); // Activity: a moves to the tail.

        Assert.Equal(3, list.Count);
        Assert.Equal([c, b, a], Drain(list));
    }

    [Fact]
    public void An_earliest_deadline_becomes_the_head_and_equal_deadlines_keep_their_order()
    {
        var list = new DeadlineList<Item>();
        var (late, nl) = Item.Create("late");
        var (early, ne) = Item.Create("early");
        var (same, ns) = Item.Create("same");
        list.Schedule(nl, 50);
        list.Schedule(ne, 5);
        list.Schedule(ns, 50);

        Assert.Equal(5, list.NextDeadline);
        Assert.Same(early, list.First);
        Assert.Equal([early, late, same], Drain(list));
    }

    private static List<Item> Drain(DeadlineList<Item> list)
    {
        var taken = new List<Item>();
        while (list.TryTakeExpired(long.MaxValue - 1, out Item? item))
        {
            taken.Add(item);
        }

        return taken;
    }
}
