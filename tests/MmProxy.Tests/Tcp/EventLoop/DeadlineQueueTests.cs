using MmProxy.Tcp.EventLoop;

namespace MmProxy.Tests.Tcp.EventLoop;

public sealed class DeadlineQueueTests
{
    [Fact]
    public void Expires_in_deadline_order_and_only_when_due()
    {
        var queue = new DeadlineQueue();
        var a = new DeadlineNode(null);
        var b = new DeadlineNode(null);
        var c = new DeadlineNode(null);
        queue.Enqueue(a, 10);
        queue.Enqueue(b, 20);
        queue.Enqueue(c, 30);

        Assert.Equal(10, queue.NextDeadline);
        Assert.Null(queue.DequeueExpired(9));
        Assert.Same(a, queue.DequeueExpired(20));
        Assert.Same(b, queue.DequeueExpired(20));
        Assert.Null(queue.DequeueExpired(20));
        Assert.Equal(1, queue.Count);
        Assert.False(a.IsQueued);
        Assert.True(c.IsQueued);
    }

    [Fact]
    public void Removing_from_the_head_middle_and_tail_keeps_the_links()
    {
        var queue = new DeadlineQueue();
        DeadlineNode[] nodes = [.. Enumerable.Range(0, 5).Select(_ => new DeadlineNode(null))];
        for (int i = 0; i < nodes.Length; i++)
        {
            queue.Enqueue(nodes[i], i);
        }

        queue.Remove(nodes[0]);
        queue.Remove(nodes[2]);
        queue.Remove(nodes[4]);
        queue.Remove(nodes[4]); // Not queued any more: nothing happens.

        Assert.Equal(2, queue.Count);
        Assert.Same(nodes[1], queue.DequeueExpired(100));
        Assert.Same(nodes[3], queue.DequeueExpired(100));
        Assert.Null(queue.DequeueExpired(100));
        Assert.Null(queue.NextDeadline);
    }

    [Fact]
    public void A_node_in_another_queue_is_not_removed_by_this_one()
    {
        var first = new DeadlineQueue();
        var second = new DeadlineQueue();
        var node = new DeadlineNode(null);
        first.Enqueue(node, 5);

        second.Remove(node);

        Assert.Equal(1, first.Count);
        Assert.Same(node, first.DequeueExpired(5));
    }

    [Fact]
    public void Insert_keeps_deadline_order_and_enqueue_moves_a_queued_node()
    {
        var queue = new DeadlineQueue();
        var a = new DeadlineNode(null);
        var b = new DeadlineNode(null);
        var c = new DeadlineNode(null);
        queue.Enqueue(a, 10);
        queue.Enqueue(b, 30);
        queue.Insert(c, 20);
        queue.Enqueue(a, 40); // Re-armed: moves to the tail.

        Assert.Equal(3, queue.Count);
        Assert.Same(c, queue.DequeueExpired(100));
        Assert.Same(b, queue.DequeueExpired(100));
        Assert.Same(a, queue.DequeueExpired(100));
    }

    [Fact]
    public void Insert_before_everything_becomes_the_head()
    {
        var queue = new DeadlineQueue();
        var late = new DeadlineNode(null);
        var early = new DeadlineNode(null);
        queue.Enqueue(late, 50);
        queue.Insert(early, 5);

        Assert.Equal(5, queue.NextDeadline);
        Assert.Same(early, queue.DequeueExpired(5));
        Assert.Same(late, queue.DequeueExpired(50));
    }
}
